"""The pages of meetings/, one module per feature; each holds views only."""
