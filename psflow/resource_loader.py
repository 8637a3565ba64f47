"""`tf.resource_loader`: paths of data files next to the calling module."""

import inspect
import os

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_data_files_path():
    """The directory of the module that calls this."""
    return os.path.dirname(os.path.abspath(inspect.getfile(inspect.stack()[1][0])))


def get_path_to_datafile(path):
    """`path` relative to the calling module's directory."""
    caller = os.path.dirname(os.path.abspath(inspect.getfile(inspect.stack()[1][0])))
    return os.path.join(caller, path)


def get_root_dir_with_all_resources():
    """The root of the installed psflow sources."""
    return _ROOT


def load_resource(path):
    """The bytes of `path`, relative to the psflow sources' root."""
    with open(os.path.join(_ROOT, path), "rb") as f:
        return f.read()


def readahead_file_path(path, readahead="128M"):
    """`path` itself (read-ahead applies to TF's remote file systems)."""
    return path
