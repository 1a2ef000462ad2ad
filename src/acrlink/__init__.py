"""acrlink: a local, faithful, fast emulator of Azure Container Registry with Azure Private Link."""

__version__ = "0.1.0"
