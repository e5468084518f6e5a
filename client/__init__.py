"""MedSettle (医保窗口结算): the settlement client for hospital billing windows."""

__version__ = "0.1.0"
