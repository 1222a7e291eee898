"""The network's precision follows the processor: bfloat16 only where the CPU has it natively."""
import logging

import pytest

from nnet import precision
from nnet.pose_net import spec_from_config
from nnet.precision import (choose_precision, cpu_flags, emulation_warning, native_bfloat16,
                            onednn_flags, onednn_pays, speed_flags, tensorflow_environment)
from posecut.config import config_from_dict

AVX2_EPYC = "fpu vme sse sse2 avx avx2 fma bmi2"
AVX512_NO_BF16 = AVX2_EPYC + " avx512f avx512dq avx512bw avx512vl avx512_vnni"
SAPPHIRE_RAPIDS = AVX512_NO_BF16 + " avx512_bf16 amx_bf16 amx_int8 amx_tile"


def write_cpuinfo(path, flags):
    path.write_text("".join(f"processor\t: {i}\nmodel name\t: test\nflags\t\t: {flags}\n\n"
                            for i in range(2)))
    return str(path)


def test_cpu_flags_are_read_from_cpuinfo_and_missing_means_none(tmp_path):
    flags = cpu_flags(write_cpuinfo(tmp_path / "cpuinfo", SAPPHIRE_RAPIDS))
    assert {"avx2", "avx512_bf16", "amx_bf16"} <= flags and "flags" not in flags
    assert cpu_flags(str(tmp_path / "absent")) == frozenset()


@pytest.mark.parametrize("flags, native", [(AVX2_EPYC, False), (AVX512_NO_BF16, False),
                                           (SAPPHIRE_RAPIDS, True), ("avx2 amx_bf16", True)])
def test_auto_takes_bfloat16_only_on_a_cpu_that_has_it(flags, native):
    flags = frozenset(flags.split())
    assert native_bfloat16(flags) is native
    assert choose_precision("auto", flags) == ("bfloat16" if native else "float32")
    assert choose_precision("auto", flags, gpu=True) == "float32"
    assert choose_precision("float32", flags) == "float32"


def test_explicit_bfloat16_without_it_warns_once_in_one_line(caplog):
    flags = frozenset(AVX2_EPYC.split())
    precision._warn_once.cache_clear()  # other tests of this process may have warned already
    with caplog.at_level(logging.WARNING, logger="nnet.precision"):
        assert choose_precision("bfloat16", flags) == "bfloat16"
        assert choose_precision("bfloat16", flags) == "bfloat16"
    (record,) = caplog.records  # once per process, however many networks are built
    assert "\n" not in record.message and "slower than float32" in record.message
    assert record.message == emulation_warning(flags)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nnet.precision"):
        choose_precision("bfloat16", frozenset(SAPPHIRE_RAPIDS.split()))
        choose_precision("bfloat16", frozenset(AVX2_EPYC.split()), gpu=True)
    assert not caplog.records
    with pytest.raises(ValueError, match="float16"):
        choose_precision("float16", flags)


def test_speed_flags_name_what_decides_the_speed():
    assert speed_flags(frozenset(SAPPHIRE_RAPIDS.split())).split()[:2] == ["avx2", "fma"]
    assert "avx512_bf16" in speed_flags(frozenset(SAPPHIRE_RAPIDS.split()))
    assert "avx512f" not in speed_flags(frozenset(AVX2_EPYC.split()))


def test_a_config_says_auto_by_default_and_the_spec_gets_this_cpu_s_choice():
    cfg = config_from_dict({"net_type": "mobilenet_v2_0.35", "num_joints": 3})
    assert cfg.precision == "auto"
    expected = "bfloat16" if native_bfloat16(cpu_flags()) else "float32"
    assert spec_from_config(cfg).precision == expected
    assert spec_from_config(cfg.replace(precision="float32")).precision == "float32"


def test_a_onednn_cap_below_bfloat16_leaves_auto_in_float32(tmp_path, monkeypatch):
    """ONEDNN_MAX_CPU_ISA=AVX2 runs a CPU as an AVX2-only one: oneDNN has no bfloat16
    convolution there, so auto must not pick it (it fails to build the primitive)."""
    flags = cpu_flags(write_cpuinfo(tmp_path / "cpuinfo", SAPPHIRE_RAPIDS))
    for cap in ("AVX2", "avx512_core_vnni", " AVX "):
        assert not native_bfloat16(onednn_flags(flags, cap)) and "avx2" in onednn_flags(flags, cap)
    for cap in (None, "", "AVX512_CORE_BF16", "ALL", "AVX512_CORE_AMX"):
        assert onednn_flags(flags, cap) == flags
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    monkeypatch.setattr(precision, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": flags)
    assert "; oneDNN capped at AVX2" in precision.describe_cpu()
    assert spec_from_config(config_from_dict({"num_joints": 3})).precision == "float32"


def test_onednn_is_turned_off_only_where_it_does_not_pay_and_the_user_did_not_choose():
    """Without AVX-512 (a real AVX2 CPU, or oneDNN capped at AVX2) TensorFlow's own kernels are
    faster, so TF_ENABLE_ONEDNN_OPTS=0 is set before the import; never over the user's value."""
    avx2, rapids = frozenset(AVX2_EPYC.split()), frozenset(SAPPHIRE_RAPIDS.split())
    assert not onednn_pays(avx2) and onednn_pays(frozenset(AVX512_NO_BF16.split()))
    assert onednn_pays(rapids) and not onednn_pays(onednn_flags(rapids, "avx2"))
    capped = onednn_flags(rapids, "AVX2")
    assert "avx2" in capped and not any(f.startswith(("avx512", "amx")) for f in capped)
    assert onednn_flags(rapids, "AVX512_CORE_VNNI") == rapids - {"avx512_bf16", "amx_bf16"}
    assert tensorflow_environment(avx2, {}) == {"TF_ENABLE_ONEDNN_OPTS": "0"}
    assert tensorflow_environment(avx2, {"TF_ENABLE_ONEDNN_OPTS": "1"}) == {}
    assert tensorflow_environment(rapids, {}) == {}
    assert tensorflow_environment(rapids, {"ONEDNN_MAX_CPU_ISA": "AVX2"}) == {
        "TF_ENABLE_ONEDNN_OPTS": "0"}


def test_the_cpu_line_says_when_onednn_is_off(monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert precision.describe_cpu().endswith("; TensorFlow's oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    assert "oneDNN off" not in precision.describe_cpu()
