"""TF device strings (`/job:ps/task:0/device:CPU:0`): parsing, merging and printing.

`DeviceSpec.merge` gives nested `tf.device` scopes TF's semantics: inner fields win,
fields the inner spec leaves unset are taken from the outer one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class DeviceSpec:
    job: str | None = None
    replica: int | None = None
    task: int | None = None
    device_type: str | None = None
    device_index: int | None = None

    @classmethod
    def from_string(cls, spec: str | None) -> DeviceSpec:
        if not spec:
            return cls()
        fields: dict = {}
        for part in spec.split("/"):
            if not part:
                continue
            key, _, value = part.partition(":")
            key = key.lower()
            if key == "job":
                fields["job"] = value
            elif key == "replica":
                fields["replica"] = _int_field(spec, value)
            elif key == "task":
                fields["task"] = _int_field(spec, value)
            elif key == "device":
                kind, _, index = value.partition(":")
                fields["device_type"] = kind.upper()
                if index and index != "*":
                    fields["device_index"] = _int_field(spec, index)
            elif key in ("cpu", "gpu") and not value.startswith(":"):
                fields["device_type"] = key.upper()
                if value and value != "*":
                    fields["device_index"] = _int_field(spec, value)
            else:
                raise ValueError(f"Unknown attribute: '{part}' in device specification '{spec}'")
        return cls(**fields)

    def merge(self, inner: DeviceSpec) -> DeviceSpec:
        """This spec with every field `inner` sets replaced by inner's value."""
        changes = {k: v for k, v in inner.__dict__.items() if v is not None}
        return replace(self, **changes)

    def to_string(self) -> str:
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            out += f"/device:{self.device_type}:{index}"
        return out

    def __str__(self) -> str:
        return self.to_string()


def _int_field(spec: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Invalid number '{value}' in device specification '{spec}'") from None


def canonical(spec: str | None) -> str:
    """The normalized form of a device string ('' for no device)."""
    return DeviceSpec.from_string(spec).to_string()


def merge_device(outer: str, inner: str) -> str:
    return DeviceSpec.from_string(outer).merge(DeviceSpec.from_string(inner)).to_string()


def task_of(spec: str) -> tuple[str, int] | None:
    """(job, task) of a device string, or None when it names no job."""
    d = DeviceSpec.from_string(spec)
    if d.job is None:
        return None
    return d.job, d.task if d.task is not None else 0
