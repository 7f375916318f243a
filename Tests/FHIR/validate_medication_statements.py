"""Validates /api/v1/patients/:id/medication-statements with a real FHIR R4 validator (fhir.resources).

Run by scripts/fhir-test.sh against the demo: FHIR_BASE, FHIR_KEY and FHIR_EXPECT (JSON: patient id ->
expected statement count) in the environment; FHIR_ARTIFACTS, a folder to keep each bundle in. Every bundle is parsed as an R4 Bundle, every resource as an
R4 MedicationStatement, and the codes with a required binding (which fhir.resources does not check) against
their value sets. Then it proves the validator bites: each of a few broken copies of a real statement must
be rejected. Ends with "N passed, N failed".
"""
import copy
import json
import os
import sys
import time
import urllib.request

import fhir.resources
from fhir.resources.bundle import Bundle
from fhir.resources.medicationstatement import MedicationStatement

# Required bindings of the elements we emit (R4: medicationstatement-status, bundle-type, units-of-time,
# event-timing incl. v3 TimingEvent).
STATUSES = {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown", "not-taken"}
BUNDLE_TYPES = {"document", "message", "transaction", "transaction-response", "batch", "batch-response", "history",
                "searchset", "collection"}
UNITS_OF_TIME = {"s", "min", "h", "d", "wk", "mo", "a"}
EVENT_TIMINGS = {"MORN", "MORN.early", "MORN.late", "NOON", "AFT", "AFT.early", "AFT.late", "EVE", "EVE.early",
                 "EVE.late", "NIGHT", "PHS", "HS", "WAKE", "C", "CM", "CD", "CV", "AC", "ACM", "ACD", "ACV", "PC",
                 "PCM", "PCD", "PCV"}

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}", file=sys.stderr)


def binding_problems(statement):
    problems = []
    if statement.get("status") not in STATUSES:
        problems.append(f"status {statement.get('status')!r}")
    for dosage in statement.get("dosage", []):
        repeat = dosage.get("timing", {}).get("repeat", {})
        if "periodUnit" in repeat and repeat["periodUnit"] not in UNITS_OF_TIME:
            problems.append(f"periodUnit {repeat['periodUnit']!r}")
        for when in repeat.get("when", []):
            if when not in EVENT_TIMINGS:
                problems.append(f"when {when!r}")
    return problems


def validate(statement):
    """Raises on anything the R4 model or a required binding refuses."""
    MedicationStatement.parse_obj(statement)
    problems = binding_problems(statement)
    if problems:
        raise ValueError("; ".join(problems))


def fetch(base, key, patient):
    request = urllib.request.Request(f"{base}/api/v1/patients/{patient}/medication-statements",
                                     headers={"Authorization": f"Bearer {key}", "Accept": "application/fhir+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Type"), json.load(response)


def main():
    assert fhir.resources.__fhir_version__ == "4.0.1", f"fhir.resources {fhir.resources.__version__} is FHIR {fhir.resources.__fhir_version__}, not R4"
    base, key = os.environ["FHIR_BASE"], os.environ["FHIR_KEY"]
    expected = json.loads(os.environ["FHIR_EXPECT"])
    # Patients whose plans were cancelled: every statement must say `stopped`, with the period's end.
    stopped = set(json.loads(os.environ.get("FHIR_STOPPED", "[]")))
    statements = []
    for patient, count in expected.items():
        def settled(body):
            entries = body.get("entry", [])
            return len(entries) >= count and (patient not in stopped or all(e["resource"].get("status") == "stopped" for e in entries))

        # Plans (and their cancellation) arrive by webhook: wait for them, 30 s at most.
        deadline = time.monotonic() + 30
        content_type, body = fetch(base, key, patient)
        while not settled(body) and time.monotonic() < deadline:
            time.sleep(0.2)
            content_type, body = fetch(base, key, patient)
        if patient in stopped:
            resources = [entry["resource"] for entry in body.get("entry", [])]
            check(f"{patient} stopped with an end", all(r.get("status") == "stopped" and r.get("effectivePeriod", {}).get("end")
                                                        for r in resources), json.dumps(resources)[:500])
        check(f"{patient} content type", content_type == "application/fhir+json", content_type)
        try:
            Bundle.parse_obj(body)
            check(f"{patient} bundle", body.get("type") in BUNDLE_TYPES, body.get("type"))
        except Exception as error:  # noqa: BLE001 - the validator's message is the report
            check(f"{patient} bundle", False, error)
        if os.environ.get("FHIR_ARTIFACTS"):
            with open(os.path.join(os.environ["FHIR_ARTIFACTS"], f"{patient}.json"), "w") as file:
                json.dump(body, file, indent=1, sort_keys=True)
        resources = [entry["resource"] for entry in body.get("entry", [])]
        check(f"{patient} statement count", len(resources) == count, f"{len(resources)} != {count}")
        for resource in resources:
            try:
                validate(resource)
                check(f"{patient} {resource.get('id')}", True)
            except Exception as error:  # noqa: BLE001
                check(f"{patient} {resource.get('id')}", False, f"{error}\n{json.dumps(resource, indent=1)}")
        statements += resources

    # The validator refuses what is wrong: broken copies of a real statement.
    structured = next((s for s in statements if s.get("dosage", [{}])[0].get("timing")), None)
    check("a statement with structured timing to break", structured is not None)
    if structured is not None:
        def broken(change):
            copy_ = copy.deepcopy(structured)
            change(copy_)
            return copy_

        mutants = {
            "no medication[x]": broken(lambda s: s.pop("medicationCodeableConcept")),
            "no subject": broken(lambda s: s.pop("subject")),
            "a status outside the value set": broken(lambda s: s.update(status="taking")),
            "a date that is not a dateTime": broken(lambda s: s["effectivePeriod"].update(start="last Tuesday")),
            "a frequency that is not a positiveInt": broken(lambda s: s["dosage"][0]["timing"]["repeat"].update(frequency=0)),
            "a periodUnit outside units-of-time": broken(lambda s: s["dosage"][0]["timing"]["repeat"].update(periodUnit="day")),
            "an element R4 does not have": broken(lambda s: s.update(adherence={"code": {"text": "taking"}})),
        }
        for name, mutant in mutants.items():
            try:
                validate(mutant)
                check(f"rejects {name}", False, "accepted")
            except Exception:  # noqa: BLE001
                check(f"rejects {name}", True)

    print(f"fhir: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
