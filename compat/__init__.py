"""REST compatibility layer: the original DRF service's endpoints over the citygraph domain."""
