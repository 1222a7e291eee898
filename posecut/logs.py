"""Logging for the commands and demos: the project's own messages, without TensorFlow's.

TensorFlow 2.21 writes its C++ start-up lines (oneDNN and CUDA notices, "failed call to cuInit"
on a machine without a GPU) through absl before absl's logging is initialised, so neither
TF_CPP_MIN_LOG_LEVEL nor Python can filter them. ``start_tensorflow`` therefore imports it and
probes its devices with the process's stderr sent to a file, then passes on every line that is
not one of TensorFlow's own. ``verbose`` shows everything.
"""
import logging
import os
import re
import sys
import tempfile
import warnings

from nnet.precision import cpu_flags, tensorflow_environment

__all__ = ["setup_logging", "start_tensorflow", "tensorflow_log_line"]

_LIBRARY_LOGGERS = ("tensorflow", "absl", "keras", "h5py", "numexpr")
# absl's prefix (severity, date, time, thread, file:line]) and the lines it writes around them.
_TF_LINE = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] |WARNING: All log "
                      r"messages before absl::InitializeLog|To enable the following "
                      r"instructions: )")


def setup_logging(verbose: bool = False) -> None:
    """Our messages at INFO on stderr; TensorFlow's C++ and Python logs and library warnings only
    with ``verbose``. A TF_CPP_MIN_LOG_LEVEL set by the user wins."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbose else "3")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    for name in _LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.ERROR)
    if not verbose:
        warnings.filterwarnings("ignore", module=r"(keras|tensorflow|tf_keras|absl)(\.|$)")


def tensorflow_log_line(line: str) -> bool:
    """True for a line TensorFlow's C++ logging wrote (absl's format)."""
    return bool(_TF_LINE.match(line))


def start_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and Keras and find the devices, keeping TensorFlow's start-up log lines
    off stderr unless ``verbose``; anything else written meanwhile is passed on. Before the
    import, oneDNN is turned off on a CPU where TensorFlow's own kernels are faster
    (nnet.precision.tensorflow_environment), unless TF_ENABLE_ONEDNN_OPTS is set."""
    if "tensorflow" not in sys.modules:
        chosen = tensorflow_environment(cpu_flags(), os.environ)
        os.environ.update(chosen)
        if chosen:
            logging.getLogger("posecut").debug(
                "TensorFlow's oneDNN off on this CPU without AVX-512 (its own kernels are faster "
                "here); TF_ENABLE_ONEDNN_OPTS=1 turns it on")
    if verbose:
        _import_and_probe()
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            _import_and_probe()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines(True) if not tensorflow_log_line(line)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


def _import_and_probe():
    import keras  # noqa: F401
    import tensorflow as tf

    tf.config.list_physical_devices()
