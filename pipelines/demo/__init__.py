"""Synthetic demo reports (示例数据) for every banner and county of Inner Mongolia, in every format."""
