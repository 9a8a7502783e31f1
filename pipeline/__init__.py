"""The data-pipeline Pulumi program: entry point, typed config, composition and offline check."""
