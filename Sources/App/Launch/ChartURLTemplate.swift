import Foundation
import Server

/// Where the EHR shows a patient's chart (`ehr.chart_url`), e.g. `/chart.html?patient={patient_id}`,
/// so a page opened by the button can offer "Back to the chart" instead of the click's own address.
/// Either a same-origin path or an https URL; `{patient_id}` is replaced by the percent-encoded id.
public struct ChartURLTemplate: Sendable, Equatable {
    static let placeholder = "{patient_id}"
    let template: String

    init(_ text: String) throws(ConfigError) {
        let problem = "must be a path on this server (/chart?patient={patient_id}) or an https URL, containing {patient_id}"
        guard text.contains(Self.placeholder), text.utf8.count <= 2048,
              text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" && $0 != "\"" && $0 != "<" && $0 != ">" })
        else { throw ConfigError(key: "ehr.chart_url", problem: problem) }
        let sample = text.replacingOccurrences(of: Self.placeholder, with: "p-1")
        if text.hasPrefix("/") {
            guard ReturnPath(sample)?.path == sample else { throw ConfigError(key: "ehr.chart_url", problem: problem) }
        } else {
            // The patient id goes in the path or the query, never in the host: an id must not pick the site.
            guard let url = URLComponents(string: sample), url.scheme == "https", url.host?.isEmpty == false, url.user == nil,
                  let placeholder = text.range(of: Self.placeholder),
                  text[..<placeholder.lowerBound].dropFirst("https://".count).contains(where: { "/?#".contains($0) })
            else { throw ConfigError(key: "ehr.chart_url", problem: problem) }
        }
        template = text
    }

    /// The chart of `patientID`, which must already be a valid patient id.
    func url(patientID: String) -> String {
        template.replacingOccurrences(of: Self.placeholder, with: FormURLEncoding.escape(patientID))
    }
}
