import hashlib
import math
import os
import os.path as osp
import warnings

import pytest
import torch

from tests.conftest import tiny_vitok_config
from vitok_mm.feature_networks import VGG16_FILE
from vitok_mm.models.bottlenecks import DiagonalGaussian
from vitok_mm.models.losses import (
    CharbonnierLoss,
    KLLoss,
    L1Loss,
    L2Loss,
    LPIPSLoss,
)
from vitok_mm.registry import MODELS

# lpips' VGG16 slices: torchvision features [0, 4), [4, 9), [9, 16), [16, 23), [23, 30).
LPIPS_SLICES = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    """VGG convolutions on tiny inputs gain nothing from threads, and on a busy CPU
    the thread hand-offs cost seconds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---------------------------------------------------------------- pixel losses

PRED = torch.tensor([[0.0, 1.0], [2.0, 3.0]])


def test_l1_by_hand():
    assert L1Loss()(PRED, torch.zeros(2, 2)).item() == pytest.approx((0 + 1 + 2 + 3) / 4)
    assert L1Loss(loss_weight=0.5)(PRED, torch.zeros(2, 2)).item() == pytest.approx(0.75)
    assert L1Loss().loss_name == 'loss_l1'


def test_l2_by_hand():
    assert L2Loss()(PRED, torch.zeros(2, 2)).item() == pytest.approx((0 + 1 + 4 + 9) / 4)
    assert L2Loss(loss_weight=2.0)(PRED, torch.ones(2, 2)).item() == pytest.approx(
        2.0 * (1 + 0 + 1 + 4) / 4)
    assert L2Loss(loss_name='loss_mse').loss_name == 'loss_mse'


def test_charbonnier_by_hand():
    eps = 0.5
    expected = sum(math.sqrt(v * v + eps * eps) for v in (0, 1, 2, 3)) / 4
    loss = CharbonnierLoss(loss_weight=3.0, eps=eps)(PRED, torch.zeros(2, 2))
    assert loss.item() == pytest.approx(3.0 * expected)
    # Smooth at zero: eps there, not 0.
    assert CharbonnierLoss(eps=1e-3)(torch.zeros(4), torch.zeros(4)).item() == pytest.approx(1e-3)


@pytest.mark.parametrize('loss_type', [L1Loss, L2Loss, CharbonnierLoss])
def test_pixel_loss_rejects_shape_mismatch(loss_type):
    with pytest.raises(ValueError, match=r'prediction \(2, 3\) and target \(3, 2\) differ'):
        loss_type()(torch.zeros(2, 3), torch.zeros(3, 2))


def test_pixel_losses_on_video_shapes():
    pred, target = torch.rand(2, 3, 2, 4, 4), torch.rand(2, 3, 2, 4, 4)
    torch.testing.assert_close(L1Loss()(pred, target), (pred - target).abs().mean())


# ---------------------------------------------------------------- KL


def test_kl_by_hand():
    mean = torch.tensor([[[1.0, 0.0]], [[0.0, 2.0]]])        # (N=2, c=1, 2)
    logvar = torch.tensor([[[0.0, math.log(2.0)]], [[-1.0, 0.0]]])
    posterior = DiagonalGaussian(mean, logvar)
    terms = [0.5 * (m * m + math.exp(lv) - 1 - lv) for m, lv in
             [(1, 0), (0, math.log(2)), (0, -1), (2, 0)]]
    expected = 1e-2 * sum(terms) / 4
    loss = KLLoss(loss_weight=1e-2)(None, None, posterior)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # A posterior equal to the prior costs nothing.
    prior = DiagonalGaussian(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4))
    assert KLLoss(loss_weight=1.0)(None, None, prior).item() == 0


def test_kl_needs_posterior():
    with pytest.raises(ValueError, match='KLLoss needs the posterior'):
        KLLoss()(torch.zeros(1), torch.zeros(1))


# ---------------------------------------------------------------- LPIPS


@pytest.fixture(scope='module')
def vgg_state():
    """A random torchvision VGG16 trunk, as ``features.<i>.*`` keys."""
    import torchvision
    torch.manual_seed(0)
    features = torchvision.models.vgg16(weights=None).features
    return {f'features.{key}': value for key, value in features.state_dict().items()}


@pytest.fixture(scope='module')
def vgg_file(vgg_state, tmp_path_factory):
    """The trunk saved the way torch hub names files: ``vgg16-<sha256 prefix>.pth``."""
    folder = tmp_path_factory.mktemp('vgg')
    tmp = folder / 'vgg16.tmp'
    torch.save(vgg_state, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    path = folder / f'vgg16-{digest[:8]}.pth'
    tmp.rename(path)
    return str(path)


@pytest.fixture(scope='module')
def reference_lpips(vgg_state):
    """``lpips.LPIPS`` with the same trunk, loaded slice by slice by hand."""
    import lpips
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)  # torchvision's `pretrained=` notice
        reference = lpips.LPIPS(net='vgg', pnet_rand=True, verbose=False).eval()
    with torch.no_grad():
        for k, (begin, end) in enumerate(LPIPS_SLICES, 1):
            block = getattr(reference.net, f'slice{k}')
            for i in range(begin, end):
                layer = block._modules[str(i)]
                if isinstance(layer, torch.nn.Conv2d):
                    layer.weight.copy_(vgg_state[f'features.{i}.weight'])
                    layer.bias.copy_(vgg_state[f'features.{i}.bias'])
    return reference


@pytest.fixture(scope='module')
def lpips_loss(vgg_file):
    return LPIPSLoss(loss_weight=1.0, vgg_weights=vgg_file)


@pytest.fixture
def empty_torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)  # undo any torch.hub.set_dir
    checkpoints = osp.join(str(tmp_path / 'torch'), 'hub', 'checkpoints')
    assert osp.join(torch.hub.get_dir(), 'checkpoints') == checkpoints
    return checkpoints


def test_lpips_matches_reference(lpips_loss, reference_lpips):
    pred, target = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        value = lpips_loss(pred, target)
        expected = reference_lpips(pred, target).mean()
    assert value.ndim == 0 and value.item() > 0
    torch.testing.assert_close(value, expected, atol=1e-5, rtol=0)
    with torch.no_grad():
        assert lpips_loss(pred, pred).item() == pytest.approx(0, abs=1e-6)
    weighted = LPIPSLoss(loss_weight=0.25, vgg_weights=lpips_loss.vgg_weights)
    weighted.__dict__['_network'] = lpips_loss._network  # reuse the built network
    torch.testing.assert_close(weighted(pred, target), 0.25 * value)


def test_lpips_video_is_mean_over_frames(lpips_loss, reference_lpips):
    pred, target = torch.rand(2, 3, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        value = lpips_loss(pred, target)
        frames = [reference_lpips(pred[:, :, t], target[:, :, t]).mean() for t in range(3)]
    torch.testing.assert_close(value, torch.stack(frames).mean(), atol=1e-5, rtol=0)


def test_lpips_gradient_reaches_prediction_only(lpips_loss):
    pred = (torch.rand(1, 3, 16, 16) * 2 - 1).requires_grad_()
    lpips_loss(pred, torch.rand(1, 3, 16, 16) * 2 - 1).backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in lpips_loss._network.parameters())


def test_lpips_missing_weights_say_where_to_put_them(empty_torch_home):
    loss = LPIPSLoss()
    with pytest.raises(FileNotFoundError, match=VGG16_FILE) as info:
        loss(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16))
    assert empty_torch_home in str(info.value)
    assert 'vgg_weights' in str(info.value)


def test_lpips_weights_with_wrong_hash(empty_torch_home):
    os.makedirs(empty_torch_home)
    with open(osp.join(empty_torch_home, VGG16_FILE), 'wb') as f:
        f.write(b'not the weights')
    with pytest.raises(ValueError, match=r'SHA-256 .*397923af was expected'):
        LPIPSLoss()(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16))


def test_lpips_weights_that_are_not_vgg16(tmp_path):
    tmp = tmp_path / 'x.pth'
    torch.save({'features.0.weight': torch.zeros(1)}, tmp)
    path = tmp_path / f'vgg16-{hashlib.sha256(tmp.read_bytes()).hexdigest()[:8]}.pth'
    tmp.rename(path)
    with pytest.raises(ValueError, match='is not a torchvision VGG16 state dict'):
        LPIPSLoss(vgg_weights=str(path))(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16))


def test_lpips_random_trunk_needs_no_file(empty_torch_home):
    loss = LPIPSLoss(pretrained=False)
    pred, target = torch.rand(1, 3, 16, 16) * 2 - 1, torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        value = loss(pred, target)
    assert torch.isfinite(value) and value.item() > 0


def test_lpips_is_lazy_and_outside_the_model(vgg_file, empty_torch_home):
    plain = MODELS.build(tiny_vitok_config())
    cfg = tiny_vitok_config()
    cfg['losses'] = [dict(type='L1Loss'), dict(type='LPIPSLoss')]
    model = MODELS.build(cfg)  # no weights anywhere: building must not need them
    assert model.losses[1]._network is None
    assert list(model.state_dict()) == list(plain.state_dict())
    model.losses[1].vgg_weights = vgg_file
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.loss(torch.rand(2, 3, 16, 16) * 2 - 1)
    assert set(losses) == {'loss_l1', 'loss_lpips'}
    assert all(value.dtype == torch.float32 for value in losses.values())
    network = model.losses[1]._network
    assert network is not None
    assert list(model.state_dict()) == list(plain.state_dict())
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in plain.parameters())
    lpips_ids = {id(p) for p in network.parameters()}
    assert not lpips_ids & {id(p) for p in model.parameters()}
    assert all(p.grad is None for p in network.parameters())


def test_loss_terms_are_float32_under_autocast():
    cfg = tiny_vitok_config()
    cfg['losses'] = [dict(type='L1Loss'), dict(type='CharbonnierLoss'),
                     dict(type='KLLoss', loss_weight=1e-3)]
    model = MODELS.build(cfg)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert model.decode(model.encode(x).mode()).dtype == torch.bfloat16  # autocast is on
        losses = model.loss(x)
    assert set(losses) == {'loss_l1', 'loss_charbonnier', 'loss_kl'}
    for name, value in losses.items():
        assert value.dtype == torch.float32, name
        assert value.ndim == 0 and torch.isfinite(value), name


def test_lpips_metric_equals_the_loss_on_quantized_views(vgg_file, lpips_loss):
    from vitok_mm.evaluation import LPIPSMetric
    torch.manual_seed(3)
    gt = (torch.rand(3, 3, 32, 32) * 255).round() / 127.5 - 1  # already 8-bit levels
    noisy = ((gt + 0.2 * torch.randn_like(gt)).clamp(-1, 1) + 1) / 2
    pred = (noisy * 255).round() / 127.5 - 1  # on 8-bit levels too
    metric = LPIPSMetric(vgg_weights=vgg_file)
    metric.process(None, [dict(pred=p, gt=g) for p, g in zip(pred, gt)])
    expected = torch.stack([lpips_loss(p[None], g[None]) for p, g in zip(pred, gt)]).mean()
    assert metric.evaluate(3)['recon/lpips'] == pytest.approx(expected.item(), rel=1e-5)


def test_low_pass_l1_sees_a_colour_shift_and_not_zero_mean_texture():
    from vitok_mm.models.losses import LowPassL1Loss
    target = torch.rand(2, 3, 16, 16)
    shift = torch.tensor([0.1, -0.2, 0.0]).view(1, 3, 1, 1)
    checker = (torch.arange(16)[:, None] + torch.arange(16)[None, :]) % 2 * 0.2 - 0.1
    assert LowPassL1Loss()(target + shift, target).item() == pytest.approx(0.1)
    assert LowPassL1Loss()(target + checker, target).item() == pytest.approx(0, abs=1e-7)
    assert L1Loss()(target + checker, target).item() == pytest.approx(0.1)
    # 8x8 local means: a shift of one quadrant only costs a quarter of its size.
    local = torch.zeros(1, 3, 16, 16)
    local[..., :8, :8] = 0.4
    loss = LowPassL1Loss(kernel_size=8, loss_weight=2.0)
    assert loss(local, torch.zeros_like(local)).item() == pytest.approx(2.0 * 0.4 / 4)
    clip = (target + shift)[:, :, None].expand(2, 3, 4, 16, 16)
    assert LowPassL1Loss()(clip, target[:, :, None].expand_as(clip)).item() == \
        pytest.approx(0.1)
    with pytest.raises(ValueError, match='kernel_size must be positive'):
        LowPassL1Loss(kernel_size=0)


def test_gradient_l1_charges_steps_and_missing_texture_not_offsets():
    from vitok_mm.models.losses import GradientL1Loss
    target = torch.rand(2, 3, 16, 16)
    assert GradientL1Loss()(target + 0.3, target).item() == pytest.approx(0, abs=1e-6)
    step = torch.zeros(1, 1, 16, 16)
    step[..., 8:] = 0.5  # one step between column 7 and 8, on every row
    expected = 0.5 * 16 / (16 * 15)  # |0.5| at one of 15 column pairs; rows: none
    assert GradientL1Loss(loss_weight=2.0)(step, torch.zeros_like(step)).item() == \
        pytest.approx(2.0 * expected)
    clip = step[:, :, None].expand(1, 1, 3, 16, 16)
    assert GradientL1Loss()(clip, torch.zeros_like(clip)).item() == pytest.approx(expected)
