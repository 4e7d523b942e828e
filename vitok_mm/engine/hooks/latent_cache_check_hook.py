"""Refuse to train or evaluate a generator on latents of another tokenizer."""
from mmengine.hooks import Hook

from vitok_mm.registry import HOOKS
from vitok_mm.utils import unwrap


@HOOKS.register_module()
class LatentCacheCheckHook(Hook):
    """Before training, validation and testing, compare the tokenizer fingerprint of each
    dataloader's latent cache (``dataset.metainfo['fingerprint']``) with the one of the
    model's latent statistics (``LatentPreprocessor``), which a loaded or resumed
    checkpoint may have set: a mismatch is a ``ValueError`` naming both."""

    priority = 'VERY_HIGH'

    def _check(self, runner, loader) -> None:
        dataset = getattr(loader, 'dataset', None)
        fingerprint = getattr(dataset, 'metainfo', {}).get('fingerprint')
        preprocessor = unwrap(runner.model).data_preprocessor
        if fingerprint and hasattr(preprocessor, 'check_fingerprint'):
            preprocessor.check_fingerprint(
                fingerprint, f'the latent cache {dataset.metainfo.get("cache")}')

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader)

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_dataloader)

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader)
