"""The audit trail: the hash-chained signed log, its mirrors, the registry, review records.

Use ``AuditTrail(home)`` (``service.py``): one method per ceremony event.
"""
