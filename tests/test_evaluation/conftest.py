"""Shared evaluation fixtures: real photo views, degraded copies, a random Inception file."""
import pytest
import torch

from vitok_mm.datasets.transforms import LoadImage, ResizeShortSide
from vitok_mm.workflows.samples import bundled_photos

SIZE = 64


@pytest.fixture(scope='module')
def photo_views():
    """All bundled photos as 64x64 uint8 views (N, 3, 64, 64)."""
    views = []
    for path in bundled_photos().values():
        img = LoadImage().transform(dict(img_path=path))['img']
        img = ResizeShortSide(SIZE).transform(dict(img=img))['img']
        top, left = (img.shape[0] - SIZE) // 2, (img.shape[1] - SIZE) // 2
        views.append(torch.from_numpy(img[top:top + SIZE, left:left + SIZE].copy()))
    return torch.stack(views).permute(0, 3, 1, 2).contiguous()


@pytest.fixture(scope='module')
def degraded(photo_views):
    """Blurred, noisy copies: a plausible reconstruction."""
    generator = torch.Generator().manual_seed(0)
    x = photo_views.float()
    x = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)
    x = x + 12 * torch.randn(x.shape, generator=generator)
    return x.round().clamp(0, 255).to(torch.uint8)


@pytest.fixture(scope='module')
def inception_file(tmp_path_factory, photo_views):
    """A random-weight InceptionV3 file whose BatchNorm statistics come from real photos
    (with default statistics its features are nearly constant and every FID is ~0)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    folder = tmp_path_factory.mktemp('inception')
    placeholder = folder / 'placeholder.pth'
    torch.save({}, placeholder)
    original = FeatureExtractorInceptionV3.load_state_dict
    FeatureExtractorInceptionV3.load_state_dict = lambda self, state, *a, **k: None
    try:
        torch.manual_seed(0)
        network = FeatureExtractorInceptionV3('inception-v3-compat', ['2048'],
                                              feature_extractor_weights_path=str(placeholder))
    finally:
        FeatureExtractorInceptionV3.load_state_dict = original
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the calibration batches
            module.reset_running_stats()
    network.train()
    with torch.no_grad():
        network(photo_views)
    path = folder / 'inception-random.pth'  # no hash in the name: not checked
    torch.save(network.state_dict(), path)
    return str(path)


