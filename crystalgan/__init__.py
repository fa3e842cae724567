"""CrystalGAN: new ternary metal-hydride crystals from two families of binary hydrides."""

__version__ = "0.1.0"
