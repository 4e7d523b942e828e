"""The one table of pretrained files vitok_mm fetches for its losses and metrics, and
their lookup."""
from dataclasses import dataclass
from typing import Callable, Dict, Optional

from vitok_mm.utils.weights import find_weights


def _check_torchscript(path: str) -> None:
    """A TorchScript archive that loads (StyleGAN-V's I3D has no published digest)."""
    import torch
    try:
        torch.jit.load(path, map_location='cpu')
    except RuntimeError as error:
        raise ValueError(f'it is not a TorchScript archive that loads ({error})') from None


def _check_adm_statistics(path: str) -> None:
    """An ADM reference batch: ``mu (2048,)`` and ``sigma (2048, 2048)`` (no published
    digest)."""
    from vitok_mm.utils.samples_npz import npz_array_header
    for key, shape in (('mu', (2048, )), ('sigma', (2048, 2048))):
        header = npz_array_header(path, key)
        if header is None or tuple(header[0]) != shape:
            raise ValueError(f"it is no ADM reference batch: '{key}' is "
                             f'{header[0] if header else "missing"}, not {shape}')


@dataclass(frozen=True)
class WeightFile:
    """A pretrained file: its name, where it comes from, the digest it is checked
    against, what it is and the config option that points at it."""
    filename: str
    sha256_prefix: Optional[str]  # None: no published digest; ``check`` tests the content
    what: str
    config_key: str
    url: str
    check: Optional[Callable[[str], None]] = None


#: name -> its file. torchvision and torch-fidelity put the first hex digits of the
#: file's SHA-256 in its name (``sha256_prefix``), checked when it is downloaded and when
#: it is read; StyleGAN-V's I3D and ADM's reference batches publish no digest, so their
#: downloads are checked by content instead.
WEIGHT_FILES: Dict[str, WeightFile] = {
    'vgg16': WeightFile(
        'vgg16-397923af.pth', '397923af', 'LPIPS VGG16 trunk', 'vgg_weights',
        'https://download.pytorch.org/models/vgg16-397923af.pth'),
    'inception': WeightFile(
        'weights-inception-2015-12-05-6726825d.pth', '6726825d', 'rFID/rIS InceptionV3',
        'inception_weights',
        'https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/'
        'weights-inception-2015-12-05-6726825d.pth'),
    'i3d': WeightFile(
        'i3d_torchscript.pt', None, 'rFVD Kinetics-400 I3D', 'i3d_weights',
        'https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1',
        check=_check_torchscript),
    'adm_imagenet256': WeightFile(
        'VIRTUAL_imagenet256_labeled.npz', None, 'gFID ImageNet 256x256 reference batch (ADM)',
        'reference',
        'https://openaipublic.blob.core.windows.net/diffusion/jul-2021/ref_batches/imagenet/'
        '256/VIRTUAL_imagenet256_labeled.npz', check=_check_adm_statistics),
    'adm_imagenet512': WeightFile(
        'VIRTUAL_imagenet512.npz', None, 'gFID ImageNet 512x512 reference batch (ADM)',
        'reference',
        'https://openaipublic.blob.core.windows.net/diffusion/jul-2021/ref_batches/imagenet/'
        '512/VIRTUAL_imagenet512.npz', check=_check_adm_statistics),
}
VGG16_FILE = WEIGHT_FILES['vgg16'].filename
INCEPTION_FILE = WEIGHT_FILES['inception'].filename
I3D_TORCHSCRIPT_FILE = WEIGHT_FILES['i3d'].filename


def find_weight_file(network: str, path: Optional[str] = None, download: bool = True) -> str:
    """The verified path of ``network``'s file: ``path`` (a file or its folder, taken as
    it is; or a URL, a file's or a base one ending with ``/``), else the torch hub cache,
    where it is downloaded from its canonical URL (or ``$VITOK_MM_MIRROR``) on first use
    (unless ``download`` is False: then a missing file is the missing-file error).

    Raises:
        ValueError: ``network`` is not in :data:`WEIGHT_FILES`, or the file's digest is wrong.
        FileNotFoundError: naming the file, where it was looked for and how to provide it
            (downloads switched off, or a ``path`` that does not exist).
        vitok_mm.utils.download.DownloadError: the download failed or was refused.
    """
    if network not in WEIGHT_FILES:
        raise ValueError(f'Unknown feature network {network!r}; known: {", ".join(WEIGHT_FILES)}.')
    entry = WEIGHT_FILES[network]
    return find_weights(entry.filename, path, what=entry.what, config_key=entry.config_key,
                        expected_hash=entry.sha256_prefix, url=entry.url if download else None,
                        check=entry.check)
