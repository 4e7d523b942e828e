"""The one table of pretrained weight files vitok_mm can use, and their lookup."""
from dataclasses import dataclass
from typing import Dict, Optional

from vitok_mm.utils.weights import find_weights


@dataclass(frozen=True)
class WeightFile:
    """A pretrained weight file: its name, the digest it is checked against, what it is
    and the config option that points at it."""
    filename: str
    sha256_prefix: Optional[str]  # None: no published digest to check against
    what: str
    config_key: str


#: network name -> its weight file. torchvision and torch-fidelity put the first hex
#: digits of the file's SHA-256 in its name (``sha256_prefix``), which is checked when the
#: file is read; StyleGAN-V publishes no digest for its I3D.
WEIGHT_FILES: Dict[str, WeightFile] = {
    'vgg16': WeightFile('vgg16-397923af.pth', '397923af', 'LPIPS VGG16 trunk', 'vgg_weights'),
    'inception': WeightFile('weights-inception-2015-12-05-6726825d.pth', '6726825d',
                            'rFID/rIS InceptionV3', 'inception_weights'),
    'i3d': WeightFile('i3d_torchscript.pt', None, 'rFVD Kinetics-400 I3D', 'i3d_weights'),
}
VGG16_FILE = WEIGHT_FILES['vgg16'].filename
INCEPTION_FILE = WEIGHT_FILES['inception'].filename
I3D_TORCHSCRIPT_FILE = WEIGHT_FILES['i3d'].filename


def find_weight_file(network: str, path: Optional[str] = None) -> str:
    """The verified path of ``network``'s weights: ``path`` (a file or its folder) or the
    torch hub cache. Never downloads.

    Raises:
        ValueError: ``network`` is not in :data:`WEIGHT_FILES`, or the file's digest is wrong.
        FileNotFoundError: naming the file, where it was looked for and how to provide it.
    """
    if network not in WEIGHT_FILES:
        raise ValueError(f'Unknown feature network {network!r}; known: {", ".join(WEIGHT_FILES)}.')
    entry = WEIGHT_FILES[network]
    # A file whose name carries a digest (the canonical names do) is checked against it;
    # a file of another name given explicitly (one's own trunk, a test's random weights)
    # is taken as it is.
    return find_weights(entry.filename, path, what=entry.what, config_key=entry.config_key)
