
/// Fullscript-shaped plan events, written out as Fullscript sends them.
enum PlanEvent {
    static func plan(_ id: String = "tp-1", state: String = "active", patient: String? = "pat-1", practitioner: String = "prac-1",
                     updatedAt: String = "2024-05-01T10:00:00.000Z", message: String = "Take with food") -> String {
        let patientMember = patient.map { #""patient_id":"\#($0)","# } ?? ""
        return #"""
            {"id":"\#(id)","state":"\#(state)","created_at":"2024-05-01T09:00:00.000Z","updated_at":"\#(updatedAt)",\#
            "personal_message":"\#(message)","invitation_url":"https://fs.example/invitations/\#(id)",\#(patientMember)\#
            "practitioner_id":"\#(practitioner)","recommendations":[{"variant_id":"v-1","refill":true,"units_to_purchase":2,\#
            "dosage":{"amount":"1 capsule","frequency":"twice a day","time_of_day":["morning"]}}]}
            """#
    }

    /// `wrapped`: `{"event_payload":{"event":…}}` as the per-event pages show, else `{"event":…}`. `clinic` nil
    /// leaves `clinic_id` out, as older payloads do.
    static func body(_ id: String, type: String = "treatment_plan.created", plan: String = plan(), wrapped: Bool = true,
                     clinic: String? = ConnectedHarness.clinicID) -> [UInt8] {
        let clinicMember = clinic.map { #""clinic_id":"\#($0)","# } ?? ""
        let event = #"{"id":"\#(id)","type":"\#(type)","created_at":"2024-05-01T10:00:01.000Z",\#(clinicMember)"data":{"treatment_plan":\#(plan)}}"#
        return Array((wrapped ? #"{"event_payload":{"event":\#(event)}}"# : #"{"event":\#(event)}"#).utf8)
    }
}
