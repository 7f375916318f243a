import App
import ArgumentParser

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration, database, migrations, encryption key and Fullscript reachability.",
        discussion: "Prints one line per check with what to fix; exits 1 when anything needs fixing. Changes nothing."
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let (config, logger) = try await options.load()
        let findings = await App.Doctor.examine(config, logger: logger)
        for finding in findings { print(finding) }
        guard findings.allSatisfy(\.ok) else { throw ExitCode(1) }
        print("All good.")
    }
}
