"""The network's compute precision, chosen from the processor it runs on.

bfloat16 pays only where the CPU computes it natively (the x86 flags avx512_bf16 or amx_bf16):
elsewhere oneDNN converts every operand, and the network runs slower than in float32 (see
EMULATED_COST). ``precision: auto`` therefore takes bfloat16 only on such a CPU with no GPU in use.
"""
from __future__ import annotations

import functools
import logging
import os
import platform

__all__ = ["NATIVE_BF16_FLAGS", "PRECISION_CHOICES", "choose_precision", "cpu_flags",
           "cpu_model", "describe_cpu", "emulation_warning", "gpu_visible", "native_bfloat16",
           "onednn_flags", "onednn_pays", "speed_flags", "tensorflow_environment"]

log = logging.getLogger(__name__)

PRECISION_CHOICES = ("auto", "float32", "bfloat16")
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# Measured with bench/bench_forward.py at 480x640 on CPUs without native bfloat16 (machines of
# this project's kind; docs/benchmarks.md has the tables).
EMULATED_COST = ("2.2-3.1x slower than float32 on an AVX-512 CPU without avx512_bf16, 4-6x on "
                 "an AVX2-only one")
# oneDNN's ISA caps (its ONEDNN_MAX_CPU_ISA) below AVX512_CORE, and below AVX512_CORE_BF16:
# under them it uses no AVX-512, or no native bfloat16, whatever the CPU.
ONEDNN_BELOW_AVX512 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2")
ONEDNN_BELOW_BF16 = ONEDNN_BELOW_AVX512 + ("AVX512_CORE", "AVX512_CORE_VNNI")
# Measured with bench/bench_forward.py, float32 at 480x640, oneDNN capped at AVX2 on a 2-core
# Xeon: without AVX-512 oneDNN runs the convolutions as im2col and matrix products, and
# TensorFlow's own kernels (TF_ENABLE_ONEDNN_OPTS=0) took 1.053 s against 1.354 s for
# resnet_101 and 57 ms against 98 ms for mobilenet_v2_0.5.
ONEDNN_OFF_GAIN = "1.3x faster for resnet_101 and 1.7x for mobilenet_v2_0.5"
# Flags worth naming beside a speed figure.
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16",
               "amx_int8", "avx_vnni")


def _cpuinfo_value(cpuinfo: str, keys) -> str | None:
    """The value of the first line of ``cpuinfo`` whose key is one of ``keys`` (the first
    processor's), or None where there is none or the file is unreadable (not Linux)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in keys:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The feature flags of the first processor in ``cpuinfo``; empty where it is missing or
    unreadable (not Linux), which counts as no native bfloat16."""
    return frozenset((_cpuinfo_value(cpuinfo, ("flags", "Features")) or "").split())


def onednn_flags(flags, max_isa: str | None = None) -> frozenset[str]:
    """The flags oneDNN computes with: ``flags``, less the AVX-512 and AMX ones where
    ``max_isa`` (the value of ONEDNN_MAX_CPU_ISA, which runs a CPU as an older one would, e.g.
    AVX2) is below AVX512_CORE, less the native bfloat16 ones where it is below
    AVX512_CORE_BF16."""
    cap = (max_isa or "").strip().upper()
    if cap in ONEDNN_BELOW_AVX512:
        return frozenset(f for f in flags if not f.startswith(("avx512", "amx")))
    if cap in ONEDNN_BELOW_BF16:
        return frozenset(flags) - set(NATIVE_BF16_FLAGS)
    return frozenset(flags)


def onednn_pays(flags) -> bool:
    """Whether TensorFlow's oneDNN kernels are the faster ones on a CPU with these flags (as
    oneDNN may use them, onednn_flags): with AVX-512; without it, TensorFlow's own kernels are
    (ONEDNN_OFF_GAIN)."""
    return "avx512f" in flags


def tensorflow_environment(flags, environ) -> dict:
    """The variables to set before TensorFlow is imported, on a CPU with ``flags`` in a process
    with ``environ``: TF_ENABLE_ONEDNN_OPTS=0 where oneDNN does not pay (onednn_pays, with
    oneDNN's ISA cap from ONEDNN_MAX_CPU_ISA), unless the user set it."""
    if "TF_ENABLE_ONEDNN_OPTS" in environ:
        return {}
    if onednn_pays(onednn_flags(flags, environ.get("ONEDNN_MAX_CPU_ISA"))):
        return {}
    return {"TF_ENABLE_ONEDNN_OPTS": "0"}


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The processor's model name from ``cpuinfo``, else what the platform calls it."""
    return (_cpuinfo_value(cpuinfo, ("model name",)) or platform.processor()
            or platform.machine())


def describe_cpu(cpuinfo: str = "/proc/cpuinfo") -> str:
    """One line for a benchmark's header: model, cores, the flags that decide the speed,
    oneDNN's ISA cap where ONEDNN_MAX_CPU_ISA sets one, and whether oneDNN is off."""
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA")
    off = os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0"
    return (f"CPU: {cpu_model(cpuinfo)}, {os.cpu_count()} cores; flags: "
            f"{speed_flags(cpu_flags(cpuinfo))}" + (f"; oneDNN capped at {cap}" if cap else "")
            + ("; TensorFlow's oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)" if off else ""))


def native_bfloat16(flags) -> bool:
    """True when the CPU with these flags computes bfloat16 natively."""
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def speed_flags(flags) -> str:
    """The flags that decide the network's speed, as one line for benchmark tables."""
    shown = [flag for flag in SPEED_FLAGS if flag in flags]
    return " ".join(shown) if shown else "none of " + " ".join(SPEED_FLAGS)


def emulation_warning(flags) -> str:
    """One line on what an explicit bfloat16 costs on a CPU without it."""
    return (f"precision: bfloat16 on a CPU without native bfloat16 (flags: {speed_flags(flags)}; "
            f"none of {', '.join(NATIVE_BF16_FLAGS)}): it is emulated, measured "
            f"{EMULATED_COST}; precision: auto (or float32) avoids that")


def choose_precision(requested: str, flags, gpu: bool = False) -> str:
    """The precision to build the network in: ``requested`` itself, or for 'auto' bfloat16 where
    the CPU has it natively and no GPU runs the network, else float32. An explicit bfloat16 on a
    CPU without it is kept, with a one-line warning."""
    if requested not in PRECISION_CHOICES:
        raise ValueError(f"precision must be one of {', '.join(PRECISION_CHOICES)}, "
                         f"got {requested!r}")
    if requested == "auto":
        return "bfloat16" if native_bfloat16(flags) and not gpu else "float32"
    if requested == "bfloat16" and not gpu and not native_bfloat16(flags):
        _warn_once(emulation_warning(flags))
    return requested


@functools.cache
def _warn_once(message: str) -> None:
    """Log ``message`` as a warning the first time only (a process builds several networks)."""
    log.warning(message)


def gpu_visible() -> bool:
    """True when TensorFlow sees a GPU (the network then runs there, whatever the CPU)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) == "":
        return False
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))
