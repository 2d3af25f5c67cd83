"""Service statistics (服务统计): the figures of a period, each read from where it lives."""
