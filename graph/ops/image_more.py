"""More of tf.image: non-max suppression (plain, with scores and soft-NMS, on overlaps,
padded, combined per class), crop_and_resize (with its gradient for the image),
draw_bounding_boxes, sample_distorted_bounding_box, resize_image_with_pad, and the
composites sobel_edges, ssim and ssim_multiscale."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, image as _image, manip as _manip, math as _math


# Non-max suppression --------------------------------------------------------------------------
def _iou_matrix(boxes):
    b = np.asarray(boxes, np.float64)
    y1, y2 = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
    x1, x2 = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
    area = (y2 - y1) * (x2 - x1)
    ih = np.clip(np.minimum(y2[:, None], y2[None]) - np.maximum(y1[:, None], y1[None]), 0, None)
    iw = np.clip(np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None]), 0, None)
    inter = ih * iw
    union = area[:, None] + area[None] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _greedy(overlaps, scores, max_output, threshold, score_threshold, sigma=0.0):
    """TF's greedy selection: (indices, their scores after soft-NMS decay)."""
    scores = np.asarray(scores, np.float64).copy()
    candidates = [i for i in np.argsort(-scores, kind="stable") if scores[i] > score_threshold]
    picked, picked_scores = [], []
    scale = -0.5 / sigma if sigma > 0 else 0.0
    while candidates and len(picked) < max_output:
        if sigma > 0:  # soft-NMS: the best current score goes next
            candidates.sort(key=lambda i: -scores[i])
        best = candidates.pop(0)
        if scores[best] <= score_threshold:
            continue
        picked.append(best)
        picked_scores.append(scores[best])
        kept = []
        for i in candidates:
            overlap = overlaps[best, i]
            if sigma > 0:
                scores[i] *= np.exp(scale * overlap * overlap) if overlap <= threshold else 0.0
                if scores[i] > score_threshold:
                    kept.append(i)
            elif overlap <= threshold:
                kept.append(i)
        candidates = kept
    return np.asarray(picked, np.int32), np.asarray(picked_scores)


def _nms_kernel(
    boxes,
    scores,
    max_output_size,
    iou_threshold,
    score_threshold,
    soft_nms_sigma,
    *,
    pad_to_max_output_size,
    overlaps_given,
):
    overlaps = np.asarray(boxes, np.float64) if overlaps_given else _iou_matrix(boxes)
    n = int(max_output_size)
    picked, picked_scores = _greedy(
        overlaps, scores, n, float(iou_threshold), float(score_threshold), float(soft_nms_sigma)
    )
    valid = np.int32(len(picked))
    if pad_to_max_output_size:
        picked = np.concatenate([picked, np.zeros(n - len(picked), np.int32)])
        picked_scores = np.concatenate([picked_scores, np.zeros(n - len(picked_scores))])
    return picked, picked_scores.astype(np.asarray(scores).dtype), valid


register_op(
    OpDef(
        "NonMaxSuppression",
        inputs=[
            "boxes: T",
            "scores: T",
            "max_output_size: int32",
            "iou_threshold: T",
            "score_threshold: T",
            "soft_nms_sigma: T",
        ],
        outputs=["selected_indices: int32", "selected_scores: T", "valid_outputs: int32"],
        types={"T": _dt.FLOATS},
        attrs={"pad_to_max_output_size": False, "overlaps_given": False},
        infer=lambda boxes, scores, n, *rest, pad_to_max_output_size, overlaps_given: [
            TensorSpec(_dt.int32, TensorShape([None])),
            TensorSpec(scores.dtype, TensorShape([None])),
            TensorSpec(_dt.int32, TensorShape([])),
        ],
        kernel=_nms_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _nms(boxes, scores, max_output_size, threshold, score_threshold, sigma, pad, overlaps, name):
    boxes = convert_to_tensor(boxes, preferred_dtype=_dt.float32)
    dtype = boxes.dtype
    inputs = [
        boxes,
        convert_to_tensor(scores, dtype=dtype),
        convert_to_tensor(max_output_size, dtype=_dt.int32),
        convert_to_tensor(threshold, dtype=dtype),
        convert_to_tensor(score_threshold, dtype=dtype),
        convert_to_tensor(sigma, dtype=dtype),
    ]
    attrs = {"pad_to_max_output_size": bool(pad), "overlaps_given": bool(overlaps)}
    return apply_op("NonMaxSuppression", inputs, attrs, name=name).outputs


def non_max_suppression(
    boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"), name=None
) -> Tensor:
    """The indices of at most max_output_size boxes ([y1, x1, y2, x2]) chosen greedily by
    score, each overlapping no chosen box by more than iou_threshold (IoU)."""
    return _nms(
        boxes,
        scores,
        max_output_size,
        iou_threshold,
        score_threshold,
        0.0,
        False,
        False,
        name or "non_max_suppression",
    )[0]


def non_max_suppression_with_scores(
    boxes,
    scores,
    max_output_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    soft_nms_sigma=0.0,
    name=None,
):
    """(indices, scores): non_max_suppression, or Soft-NMS when soft_nms_sigma > 0 (the
    other boxes' scores decayed by exp(-iou^2 / (2 sigma)) instead of dropped)."""
    out = _nms(
        boxes,
        scores,
        max_output_size,
        iou_threshold,
        score_threshold,
        soft_nms_sigma,
        False,
        False,
        name or "non_max_suppression_with_scores",
    )
    return out[0], out[1]


def non_max_suppression_overlaps(
    overlaps,
    scores,
    max_output_size,
    overlap_threshold=0.5,
    score_threshold=float("-inf"),
    name=None,
) -> Tensor:
    """non_max_suppression given the pairwise overlaps [n, n] instead of boxes."""
    return _nms(
        overlaps,
        scores,
        max_output_size,
        overlap_threshold,
        score_threshold,
        0.0,
        False,
        True,
        name or "non_max_suppression_overlaps",
    )[0]


def non_max_suppression_padded(
    boxes,
    scores,
    max_output_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    pad_to_max_output_size=False,
    name=None,
    sorted_input=False,
    canonicalized_coordinates=False,
    tile_size=512,
):
    """(indices, number valid): with pad_to_max_output_size, indices padded with zeros to
    max_output_size."""
    out = _nms(
        boxes,
        scores,
        max_output_size,
        iou_threshold,
        score_threshold,
        0.0,
        pad_to_max_output_size,
        False,
        name or "non_max_suppression_padded",
    )
    return out[0], out[2]


def _combined_kernel(
    boxes,
    scores,
    max_per_class,
    max_total,
    iou_threshold,
    score_threshold,
    *,
    pad_per_class,
    clip_boxes,
):
    boxes, scores = np.asarray(boxes, np.float64), np.asarray(scores, np.float64)
    batch, n, q, _ = boxes.shape
    classes = scores.shape[2]
    per_class, total = int(max_per_class), int(max_total)
    size = min(total, per_class * classes) if pad_per_class else total
    out_boxes = np.zeros((batch, size, 4), np.float32)
    out_scores = np.zeros((batch, size), np.float32)
    out_classes = np.zeros((batch, size), np.float32)
    valid = np.zeros(batch, np.int32)
    for b in range(batch):
        found = []
        for c in range(classes):
            cls_boxes = boxes[b, :, 0 if q == 1 else c]
            picked, picked_scores = _greedy(
                _iou_matrix(cls_boxes),
                scores[b, :, c],
                per_class,
                float(iou_threshold),
                float(score_threshold),
            )
            found += [(s, c, cls_boxes[i]) for i, s in zip(picked, picked_scores)]
        found.sort(key=lambda item: -item[0])
        found = found[:size]
        valid[b] = len(found)
        for k, (s, c, box) in enumerate(found):
            out_boxes[b, k] = np.clip(box, 0, 1) if clip_boxes else box
            out_scores[b, k], out_classes[b, k] = s, c
    return out_boxes, out_scores, out_classes, valid


register_op(
    OpDef(
        "CombinedNonMaxSuppression",
        inputs=[
            "boxes: float",
            "scores: float",
            "max_output_size_per_class: int32",
            "max_total_size: int32",
            "iou_threshold: float",
            "score_threshold: float",
        ],
        outputs=[
            "nmsed_boxes: float",
            "nmsed_scores: float",
            "nmsed_classes: float",
            "valid_detections: int32",
        ],
        attrs={"pad_per_class": False, "clip_boxes": True},
        infer=lambda *inputs, **_: [
            TensorSpec(_dt.float32, TensorShape([None, None, 4])),
            TensorSpec(_dt.float32, TensorShape([None, None])),
            TensorSpec(_dt.float32, TensorShape([None, None])),
            TensorSpec(_dt.int32, TensorShape([None])),
        ],
        kernel=_combined_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def combined_non_max_suppression(
    boxes,
    scores,
    max_output_size_per_class,
    max_total_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    pad_per_class=False,
    clip_boxes=True,
    name=None,
):
    """Per image, non-max suppression within each class, then the best max_total_size
    detections over all classes: (boxes, scores, classes, number valid), zero padded."""
    inputs = [
        convert_to_tensor(boxes, dtype=_dt.float32),
        convert_to_tensor(scores, dtype=_dt.float32),
        convert_to_tensor(max_output_size_per_class, dtype=_dt.int32),
        convert_to_tensor(max_total_size, dtype=_dt.int32),
        convert_to_tensor(iou_threshold, dtype=_dt.float32),
        convert_to_tensor(score_threshold, dtype=_dt.float32),
    ]
    attrs = {"pad_per_class": bool(pad_per_class), "clip_boxes": bool(clip_boxes)}
    return tuple(
        apply_op(
            "CombinedNonMaxSuppression", inputs, attrs, name=name or "combined_non_max_suppression"
        ).outputs
    )


# crop_and_resize ------------------------------------------------------------------------------
def _crop_weights(box_lo, box_hi, size_in, size_out):
    """Per output index: (source position, lower index, upper index, fraction, inside)."""
    if size_out > 1:
        scale = (box_hi - box_lo) * (size_in - 1) / (size_out - 1)
        pos = box_lo * (size_in - 1) + np.arange(size_out) * scale
    else:
        pos = np.array([0.5 * (box_lo + box_hi) * (size_in - 1)])
    inside = (pos >= 0) & (pos <= size_in - 1)
    lo = np.clip(np.floor(pos), 0, size_in - 1).astype(int)
    hi = np.clip(np.ceil(pos), 0, size_in - 1).astype(int)
    return pos, lo, hi, pos - np.floor(pos), inside


def _crop_and_resize_kernel(image, boxes, box_ind, crop_size, *, method, extrapolation_value):
    image = np.asarray(image, np.float64)
    _, h, w, c = image.shape
    ch, cw = (int(v) for v in np.asarray(crop_size))
    out = np.zeros((len(boxes), ch, cw, c), np.float32)
    for k, (box, b) in enumerate(zip(np.asarray(boxes, np.float64), np.asarray(box_ind))):
        if not 0 <= b < image.shape[0]:
            raise InvalidArgumentError(
                None, None, f"box_index has values outside [0, {image.shape[0]})"
            )
        ys, ylo, yhi, yf, yin = _crop_weights(box[0], box[2], h, ch)
        xs, xlo, xhi, xf, xin = _crop_weights(box[1], box[3], w, cw)
        img = image[b]
        if method == "nearest":
            yi = np.clip(np.rint(ys).astype(int), 0, h - 1)
            xi = np.clip(np.rint(xs).astype(int), 0, w - 1)
            values = img[yi][:, xi]
        else:
            top = img[ylo][:, xlo] * (1 - xf)[None, :, None] + img[ylo][:, xhi] * xf[None, :, None]
            bottom = (
                img[yhi][:, xlo] * (1 - xf)[None, :, None] + img[yhi][:, xhi] * xf[None, :, None]
            )
            values = top * (1 - yf)[:, None, None] + bottom * yf[:, None, None]
        inside = (yin[:, None] & xin[None, :])[:, :, None]
        out[k] = np.where(inside, values, extrapolation_value)
    return out


def _crop_and_resize_grad_kernel(grads, image, boxes, box_ind, *, method, extrapolation_value):
    grads = np.asarray(grads, np.float64)
    _, h, w, c = image.shape
    out = np.zeros(image.shape, np.float64)
    ch, cw = grads.shape[1:3]
    for k, (box, b) in enumerate(zip(np.asarray(boxes, np.float64), np.asarray(box_ind))):
        ys, ylo, yhi, yf, yin = _crop_weights(box[0], box[2], h, ch)
        xs, xlo, xhi, xf, xin = _crop_weights(box[1], box[3], w, cw)
        for i in range(ch):
            if not yin[i]:
                continue
            for j in range(cw):
                if not xin[j]:
                    continue
                g = grads[k, i, j]
                if method == "nearest":
                    out[b, int(np.rint(ys[i])), int(np.rint(xs[j]))] += g
                    continue
                out[b, ylo[i], xlo[j]] += g * (1 - yf[i]) * (1 - xf[j])
                out[b, ylo[i], xhi[j]] += g * (1 - yf[i]) * xf[j]
                out[b, yhi[i], xlo[j]] += g * yf[i] * (1 - xf[j])
                out[b, yhi[i], xhi[j]] += g * yf[i] * xf[j]
    return out.astype(image.dtype)


register_op(
    OpDef(
        "CropAndResize",
        inputs=["image: T", "boxes: float", "box_ind: int32", "crop_size: int32"],
        outputs=["crops: float"],
        types={"T": _dt.NUMERIC},
        attrs={"method": "bilinear", "extrapolation_value": 0.0},
        infer=lambda image, boxes, box_ind, crop_size, **_: TensorSpec(
            _dt.float32,
            TensorShape(
                [
                    boxes.shape.as_list()[0] if boxes.shape.ndims else None,
                    *(
                        (None, None)
                        if crop_size.value is None
                        else [int(v) for v in np.asarray(crop_size.value)]
                    ),
                    image.shape.as_list()[-1] if image.shape.ndims else None,
                ]
            ),
        ),
        kernel=_crop_and_resize_kernel,
        grad=lambda op, grad: [
            apply_op(
                "CropAndResizeGradImage",
                [grad, op.inputs[0], op.inputs[1], op.inputs[2]],
                {
                    "method": op.get_attr("method"),
                    "extrapolation_value": op.get_attr("extrapolation_value"),
                },
            ).outputs[0]
            if op.inputs[0].dtype.is_floating
            else None,
            None,
            None,
            None,
        ],
    )
)
register_op(
    OpDef(
        "CropAndResizeGradImage",
        inputs=["grads: float", "image: T", "boxes: float", "box_ind: int32"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        attrs={"method": "bilinear", "extrapolation_value": 0.0},
        infer=lambda grads, image, *rest, **_: TensorSpec(image.dtype, image.shape),
        kernel=_crop_and_resize_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def crop_and_resize(
    image,
    boxes,
    box_ind=None,
    crop_size=None,
    method="bilinear",
    extrapolation_value=0.0,
    name=None,
    box_indices=None,
) -> Tensor:
    """Crops of the images (box_ind picks the image of each box [y1, x1, y2, x2], in
    normalized coordinates) resized to crop_size, bilinear or nearest; float32. The
    gradient reaches the image (not the boxes)."""
    box_ind = box_indices if box_ind is None else box_ind
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"method must be bilinear or nearest, got {method!r}")
    inputs = [
        convert_to_tensor(image),
        convert_to_tensor(boxes, dtype=_dt.float32),
        convert_to_tensor(box_ind, dtype=_dt.int32),
        convert_to_tensor(crop_size, dtype=_dt.int32),
    ]
    attrs = {"method": method, "extrapolation_value": float(extrapolation_value)}
    return apply_op("CropAndResize", inputs, attrs, name=name or "CropAndResize").outputs[0]


# draw_bounding_boxes, sample_distorted_bounding_box -------------------------------------------
_COLORS = [
    [1, 1, 0, 1],
    [0, 0, 1, 1],
    [1, 0, 0, 1],
    [0, 1, 0, 1],
    [0.5, 0, 0.5, 1],
    [0.5, 0.5, 0, 1],
    [0.5, 0, 0, 1],
    [0, 0, 0.5, 1],
    [0, 1, 1, 1],
    [1, 0, 1, 1],
]


def _draw_kernel(images, boxes, colors):
    out = np.array(images, copy=True)
    n, h, w, depth = out.shape
    palette = np.asarray(colors, np.float64) if np.size(colors) else np.asarray(_COLORS)
    for b in range(n):
        for k, box in enumerate(np.asarray(boxes)[b]):
            color = palette[k % len(palette)][:depth]
            color = np.pad(color, (0, depth - len(color)))
            y1, x1 = int(box[0] * (h - 1)), int(box[1] * (w - 1))
            y2, x2 = int(box[2] * (h - 1)), int(box[3] * (w - 1))
            if y1 > y2 or x1 > x2 or y1 >= h or x1 >= w or y2 < 0 or x2 < 0:
                continue
            y1c, y2c = max(y1, 0), min(y2, h - 1)
            x1c, x2c = max(x1, 0), min(x2, w - 1)
            value = color.astype(out.dtype)
            for y in (y1, y2):
                if 0 <= y < h:
                    out[b, y, x1c : x2c + 1] = value
            for x in (x1, x2):
                if 0 <= x < w:
                    out[b, y1c : y2c + 1, x] = value
    return out


register_op(
    OpDef(
        "DrawBoundingBoxes",
        inputs=["images: T", "boxes: float", "colors: float"],
        outputs=["output: T"],
        types={"T": (_dt.float32, _dt.float16)},
        infer=lambda images, boxes, colors: TensorSpec(images.dtype, images.shape),
        kernel=_draw_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def draw_bounding_boxes(images, boxes, name=None, colors=None) -> Tensor:
    """The images with each box [y1, x1, y2, x2] (normalized) outlined, in TF's colors
    (cycled) or the given RGBA `colors`."""
    colors = np.zeros((0, 4), np.float32) if colors is None else colors
    inputs = [
        convert_to_tensor(images),
        convert_to_tensor(boxes, dtype=_dt.float32),
        convert_to_tensor(colors, dtype=_dt.float32),
    ]
    return apply_op("DrawBoundingBoxes", inputs, name=name or "DrawBoundingBoxes").outputs[0]


def _sample_box_kernel(
    state,
    image_size,
    bounding_boxes,
    min_object_covered,
    *,
    seed,
    seed2,
    aspect_ratio_range,
    area_range,
    max_attempts,
    use_image_if_no_bounding_boxes,
    op_name,
):
    from .random import generator

    rng = generator(state, op_name, seed, seed2)
    h, w = int(image_size[0]), int(image_size[1])
    boxes = np.asarray(bounding_boxes, np.float64).reshape(-1, 4)
    if not len(boxes):
        if not use_image_if_no_bounding_boxes:
            raise InvalidArgumentError(
                None,
                None,
                "No bounding boxes provided as input. One must "
                "enable use_image_if_no_bounding_boxes if you wish to not "
                "provide any bounding boxes.",
            )
        boxes = np.array([[0.0, 0.0, 1.0, 1.0]])
    covered_min = float(min_object_covered)
    for _ in range(max_attempts):
        area = rng.uniform(*area_range) * h * w
        ratio = rng.uniform(*aspect_ratio_range)
        ch = int(round(np.sqrt(area / ratio)))
        cw = int(round(ch * ratio))
        if not (0 < ch <= h and 0 < cw <= w):
            continue
        y = int(rng.integers(0, h - ch + 1))
        x = int(rng.integers(0, w - cw + 1))
        crop = np.array([y / h, x / w, (y + ch) / h, (x + cw) / w])
        for box in boxes:
            ih = max(0.0, min(crop[2], box[2]) - max(crop[0], box[0]))
            iw = max(0.0, min(crop[3], box[3]) - max(crop[1], box[1]))
            box_area = (box[2] - box[0]) * (box[3] - box[1])
            if box_area > 0 and ih * iw / box_area >= covered_min:
                begin = np.array([y, x, 0], np.int32)
                size = np.array([ch, cw, -1], np.int32)
                return begin, size, crop.astype(np.float32).reshape(1, 1, 4)
    return (
        np.zeros(3, np.int32),
        np.array([h, w, -1], np.int32),
        np.array([[[0, 0, 1, 1]]], np.float32),
    )


register_op(
    OpDef(
        "SampleDistortedBoundingBox",
        inputs=["image_size: T", "bounding_boxes: float", "min_object_covered: float"],
        outputs=["begin: T", "size: T", "bboxes: float"],
        types={"T": (_dt.int32, _dt.int64, _dt.uint8, _dt.int8, _dt.int16)},
        attrs={
            "seed": 0,
            "seed2": 0,
            "aspect_ratio_range": [0.75, 1.33],
            "area_range": [0.05, 1.0],
            "max_attempts": 100,
            "use_image_if_no_bounding_boxes": False,
        },
        infer=lambda size, boxes, covered, **_: [
            TensorSpec(size.dtype, TensorShape([3])),
            TensorSpec(size.dtype, TensorShape([3])),
            TensorSpec(_dt.float32, TensorShape([1, 1, 4])),
        ],
        kernel=lambda state, *a, **kw: tuple(
            np.asarray(v, dtype=_dt.as_dtype(a[0].dtype).np if i < 2 else np.float32)
            for i, v in enumerate(_sample_box_kernel(state, *a, **kw))
        ),
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
    )
)


def sample_distorted_bounding_box(
    image_size,
    bounding_boxes,
    seed=None,
    seed2=None,
    min_object_covered=0.1,
    aspect_ratio_range=None,
    area_range=None,
    max_attempts=None,
    use_image_if_no_bounding_boxes=None,
    name=None,
):
    """(begin, size, bbox): a random crop of an image of image_size [h, w, c] with an
    aspect ratio and area in the given ranges covering at least min_object_covered of one
    of the bounding boxes (the whole image when no attempt succeeds)."""
    from .random import _seed_attrs

    attrs = {
        **_seed_attrs(seed),
        "aspect_ratio_range": [float(v) for v in (aspect_ratio_range or (0.75, 1.33))],
        "area_range": [float(v) for v in (area_range or (0.05, 1.0))],
        "max_attempts": int(max_attempts or 100),
        "use_image_if_no_bounding_boxes": bool(use_image_if_no_bounding_boxes),
    }
    inputs = [
        convert_to_tensor(image_size),
        convert_to_tensor(bounding_boxes, dtype=_dt.float32),
        convert_to_tensor(min_object_covered, dtype=_dt.float32),
    ]
    return tuple(
        apply_op(
            "SampleDistortedBoundingBox",
            inputs,
            attrs,
            name=name or "sample_distorted_bounding_box",
        ).outputs
    )


# Composites: resize_image_with_pad, sobel_edges, ssim ------------------------------------------
def resize_image_with_pad(image, target_height, target_width, method=0, align_corners=False):
    """Resized to fit target_height x target_width keeping its aspect ratio, then padded
    with zeros (centered) to exactly that size."""
    with name_scope(None, "resize_image_with_pad"):
        image = convert_to_tensor(image)
        dims = image.shape.as_list()
        h, w = dims[-3], dims[-2]
        if h is None or w is None:
            raise ValueError("resize_image_with_pad needs the image's size known")
        ratio = max(w / target_width, h / target_height)
        new_h, new_w = max(int(h / ratio), 1), max(int(w / ratio), 1)
        resized = _image.resize_images(image, [new_h, new_w], method, align_corners)
        # TF takes the offsets from the unrounded resized size.
        top = max(0, int((target_height - h / ratio) / 2))
        left = max(0, int((target_width - w / ratio) / 2))
        return _image.pad_to_bounding_box(resized, top, left, target_height, target_width)


def sobel_edges(image) -> Tensor:
    """[batch, h, w, d, 2]: the vertical (dy) and horizontal (dx) Sobel responses of each
    channel, the image edge-padded by reflection as TF."""
    from .conv import depthwise_conv2d

    with name_scope(None, "sobel_edges"):
        image = convert_to_tensor(image)
        depth = image.shape.as_list()[-1]
        ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float64)
        kernels = np.stack([ky, ky.T], axis=-1)  # [3, 3, 2]
        filters = np.tile(kernels[:, :, None, :], (1, 1, depth, 1)).astype(image.dtype.np)
        padded = _manip.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
        out = depthwise_conv2d(padded, filters, [1, 1, 1, 1], "VALID")
        shape = _array.concat([_array.shape(image), [2]], 0)
        return _array.reshape(out, shape)


def _gaussian(size, sigma, dtype):
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(coords[:, None] ** 2 + coords[None, :] ** 2) / (2 * sigma**2))
    return (g / g.sum()).astype(dtype)


def _ssim_parts(img1, img2, max_val, filter_size, filter_sigma, k1, k2):
    """(luminance term, contrast-structure term), each [batch, h', w', c]."""
    from .conv import depthwise_conv2d

    depth = img1.shape.as_list()[-1]
    kernel = np.tile(
        _gaussian(filter_size, filter_sigma, img1.dtype.np)[:, :, None, None], (1, 1, depth, 1)
    )

    def blur(x):
        return depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID")

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mu1, mu2 = blur(img1), blur(img2)
    num0 = _math.multiply(_math.multiply(mu1, mu2), 2.0)
    den0 = _math.add(_math.square(mu1), _math.square(mu2))
    luminance = _math.real_div(_math.add(num0, c1), _math.add(den0, c1))
    num1 = _math.multiply(blur(_math.multiply(img1, img2)), 2.0)
    den1 = blur(_math.add(_math.square(img1), _math.square(img2)))
    cs = _math.real_div(
        _math.add(_math.subtract(num1, num0), c2), _math.add(_math.subtract(den1, den0), c2)
    )
    return luminance, cs


def _as_float(images):
    images = convert_to_tensor(images)
    return images if images.dtype.is_floating else _math.cast(images, _dt.float32)


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03) -> Tensor:
    """The structural similarity of each pair of images (Gaussian window, per channel,
    averaged): [batch]."""
    with name_scope(None, "SSIM"):
        img1, img2 = _as_float(img1), _as_float(img2)
        img2 = _math.cast(img2, img1.dtype)
        luminance, cs = _ssim_parts(img1, img2, max_val, filter_size, filter_sigma, k1, k2)
        return _math.reduce_mean(_math.multiply(luminance, cs), axis=[-3, -2, -1])


_MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def ssim_multiscale(
    img1,
    img2,
    max_val,
    power_factors=_MS_WEIGHTS,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
) -> Tensor:
    """Multi-scale SSIM: the contrast-structure terms at each scale (halved by 2x2 average
    pooling) and the full SSIM at the last, raised to power_factors and multiplied."""
    from .conv import avg_pool

    with name_scope(None, "MS-SSIM"):
        img1, img2 = _as_float(img1), _as_float(img2)
        img2 = _math.cast(img2, img1.dtype)
        terms = []
        for scale, power in enumerate(power_factors):
            luminance, cs = _ssim_parts(img1, img2, max_val, filter_size, filter_sigma, k1, k2)
            if scale == len(power_factors) - 1:
                value = _math.reduce_mean(_math.multiply(luminance, cs), axis=[-3, -2])
            else:
                value = _math.reduce_mean(cs, axis=[-3, -2])
                img1 = avg_pool(img1, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
                img2 = avg_pool(img2, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
            terms.append(_math.pow(_math.maximum(value, 0.0), power))
        product = terms[0]
        for t in terms[1:]:
            product = _math.multiply(product, t)
        return _math.reduce_mean(product, axis=-1)


# ExtractGlimpse ---------------------------------------------------------------------------------
def _glimpse_kernel(state, input, size, offsets, *, centered, normalized, uniform_noise, noise,  # noqa: A002
                    op_name, seed=0, seed2=0):  # fmt: skip
    """TF's glimpse placement: offsets (y, x) un-normalized by the image size, un-centered,
    less half the window, truncated toward zero; pixels outside the image are noise
    ("uniform" in each channel's [min, max], "gaussian" with its mean and deviation, or
    "zero")."""
    from .random import generator

    if noise == "":
        noise = "uniform" if uniform_noise else "gaussian"
    b, h, w, c = input.shape
    gh, gw = (int(v) for v in np.ravel(size))
    offsets = np.asarray(offsets, np.float32).reshape(b, 2)
    out = np.zeros((b, gh, gw, c), input.dtype)
    gen = generator(state, op_name, seed, seed2) if noise != "zero" else None
    for i in range(b):
        image = input[i].astype(np.float64)
        if noise == "uniform":
            lo, hi = image.min(axis=(0, 1)), image.max(axis=(0, 1))
            out[i] = lo + (hi - lo) * gen.random((gh, gw, c))
        elif noise == "gaussian":
            mean, std = image.mean(axis=(0, 1)), image.std(axis=(0, 1))
            out[i] = mean + std * gen.standard_normal((gh, gw, c))
        y, x = np.float32(offsets[i, 0]), np.float32(offsets[i, 1])
        if normalized:
            y, x = y * np.float32(h), x * np.float32(w)
        if centered:
            y, x = y / 2 + np.float32(h / 2), x / 2 + np.float32(w / 2)
        y, x = int(y - np.float32(gh / 2)), int(x - np.float32(gw / 2))
        r0, r1 = max(y, 0), min(y + gh, h)
        c0, c1 = max(x, 0), min(x + gw, w)
        if r0 < r1 and c0 < c1:
            out[i, r0 - y : r1 - y, c0 - x : c1 - x] = input[i, r0:r1, c0:c1]
    return out


def _glimpse_infer(input, size, offsets, **_):  # noqa: A002
    if input.shape.ndims not in (None, 4):
        raise ValueError(f"input must be 4-dimensional for 'ExtractGlimpse', got {input.shape}")
    dims = input.shape.as_list() if input.shape.ndims else [None] * 4
    gh = gw = None
    if size.value is not None:
        gh, gw = (int(v) for v in np.ravel(size.value))
    return TensorSpec(input.dtype, TensorShape([dims[0], gh, gw, dims[3]]))


register_op(
    OpDef(
        "ExtractGlimpse",
        inputs=["input: float32", "size: int32", "offsets: float32"],
        outputs=["glimpse: float32"],
        attrs={
            "centered": True,
            "normalized": True,
            "uniform_noise": True,
            "noise": "uniform",
            "seed": 0,
            "seed2": 0,
        },  # fmt: skip
        infer=_glimpse_infer,
        kernel=_glimpse_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
    )
)


def extract_glimpse(input, size, offsets, centered=True, normalized=True, uniform_noise=True,  # noqa: A002
                    name=None, noise="") -> Tensor:  # fmt: skip
    """Windows of `size` (height, width) from each image at `offsets` (y, x per image; see
    the kernel for TF's placement), filled with noise outside the image."""
    from .random import get_seed

    if noise not in ("", "uniform", "gaussian", "zero"):
        raise ValueError(f"noise must be 'uniform', 'gaussian' or 'zero', got {noise!r}")
    seed, seed2 = get_seed(None)
    attrs = {"centered": bool(centered), "normalized": bool(normalized),
             "uniform_noise": bool(uniform_noise), "noise": noise, "seed": seed or 0,
             "seed2": seed2 or 0}  # fmt: skip
    args = [convert_to_tensor(input, dtype=_dt.float32, name="input"),
            convert_to_tensor(size, dtype=_dt.int32, name="size"),
            convert_to_tensor(offsets, dtype=_dt.float32, name="offsets")]  # fmt: skip
    return apply_op("ExtractGlimpse", args, attrs, name=name).outputs[0]
