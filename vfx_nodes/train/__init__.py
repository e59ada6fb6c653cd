"""Training a look: data sets, the adversarial loop, evaluation and best-model selection."""
