"""Printouts and exports (PRODUCT §5): 简表, 评审表, 答辩通知单, list exports."""
