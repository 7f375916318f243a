import Foundation

/// The JSON shapes of the sandbox's records, as Fullscript's reference and webhook pages show them.
enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// ISO-8601 with milliseconds and `Z`, like `2021-06-16T14:57:21.000Z`.
    static func iso(_ date: Date) -> String {
        style.format(date)
    }
}

extension SandboxUser {
    var practitionerJSON: JSON {
        .object([
            ("id", .string(id)), ("first_name", .string(firstName)), ("last_name", .string(lastName)),
            ("email", .string(email)), ("practitioner_type_id", .string("practitioner-type-nd")),
            ("invite_accepted", .bool(true)), ("metadata", .object([("id", .null)])),
        ])
    }

    var staffJSON: JSON {
        .object([
            ("id", .string(id)), ("first_name", .string(firstName)), ("last_name", .string(lastName)),
            ("email", .string(email)), ("metadata", .object([("id", .null)])),
        ])
    }
}

extension Patient {
    var json: JSON {
        .object([
            ("id", .string(id)), ("first_name", .string(firstName)), ("last_name", .string(lastName)),
            ("email", .optional(email)), ("date_of_birth", .optional(dateOfBirth)), ("gender", .optional(gender)),
            ("discount", .int(discount)), ("total_discount", .int(discount)), ("mobile_number", .optional(mobileNumber)),
            ("text_message_notification", .bool(false)), ("archived", .bool(false)), ("metadata", .object([("id", .optional(metadataID))])),
        ])
    }
}

extension TreatmentPlan {
    /// `patient_id`/`practitioner_id` are the REST key names the document marks as likely but unconfirmed.
    func json(publicBaseURL: String) -> JSON {
        .object([
            ("id", .string(id)), ("state", .string(state.rawValue)),
            ("created_at", .string(Timestamp.iso(createdAt))), ("updated_at", .string(Timestamp.iso(updatedAt))),
            ("personal_message", .optional(personalMessage)),
            ("invitation_url", state == .draft ? .null : .string("\(publicBaseURL)/sandbox/plans/\(id)/invitation")),
            ("patient_id", .optional(patientID)), ("practitioner_id", .optional(practitionerID)),
            ("recommendations", .array(recommendations.map(\.json))),
            ("resources", .array(resources.map(\.json))),
            ("lab_recommendations", .array(labRecommendations.map(\.json))),
        ])
    }
}

extension Recommendation {
    var json: JSON {
        .object([
            ("variant_id", .string(variantID)), ("refill", .bool(refill)), ("units_to_purchase", .int(unitsToPurchase)),
            ("take_with", .string(takeWith)),
            ("dosage", .object([
                ("amount", .string(amount)), ("frequency", .string(frequency)), ("duration", .string(duration)),
                ("format", .string(format)), ("additional_info", .string(additionalInfo)),
                ("time_of_day", .array(timeOfDay.map(JSON.string))),
            ])),
        ])
    }
}
