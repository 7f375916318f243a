"""HTTP helpers the end-to-end scripts share (fault_test.py, replicas_test.py): standard library only."""

import hashlib
import hmac
import http.client
import json
import time


def request(port, method, target, headers=None, body=None, timeout=10):
    """One request on a fresh connection: (status, headers as a dict of lists, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        answer = connection.getresponse()
        fields = {}
        for name, value in answer.getheaders():
            fields.setdefault(name.lower(), []).append(value)
        return answer.status, fields, answer.read()
    finally:
        connection.close()


def cookie_pairs(fields):
    return [value.split(";", 1)[0] for value in fields.get("set-cookie", [])]


def signed_plan_event(secret, event_id, plan_id, patient_id, created_at, updated_at):
    """A `treatment_plan.updated` of clinic-1 as Fullscript signs it: (body, headers) for POST /webhooks/fullscript."""
    plan = {"id": plan_id, "state": "active", "created_at": created_at, "updated_at": updated_at,
            "patient_id": patient_id, "practitioner_id": "prac-1", "recommendations": []}
    event = {"id": event_id, "type": "treatment_plan.updated", "created_at": updated_at, "clinic_id": "clinic-1",
             "data": {"treatment_plan": plan}}
    body = json.dumps({"event_payload": {"event": event}}).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "Fullscript-Signature": f"t={timestamp},v1={digest}"}
