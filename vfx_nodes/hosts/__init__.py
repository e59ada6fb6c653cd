"""Host adapters: map nodes and knobs onto a compositing host. Host modules are imported inside functions."""
