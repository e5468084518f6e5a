"""Operator security: password hashing/policy (``passwords``) and pure operator rules (``operators``).

Storage of operators and of the audit trail lives in ``offline_cache``; the functions here take
plain values or a small repository protocol (``operators.OperatorRepository``).
"""
