"""One ComponentResource per element of the data pipeline."""
