from .base import Discriminator
from .patchgan import PatchGANDiscriminator
from .per_frame import PerFrameDiscriminator
from .stylegan import StyleGANDiscriminator

__all__ = ['Discriminator', 'PatchGANDiscriminator', 'PerFrameDiscriminator',
           'StyleGANDiscriminator']
