import App
import ArgumentParser

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the stored Fullscript OAuth tokens.",
        subcommands: [RotateKey.self]
    )

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Re-seal every stored token under TOKEN_ENCRYPTION_KEY.",
            discussion: "Set the new key in TOKEN_ENCRYPTION_KEY and the old one in TOKEN_ENCRYPTION_PREVIOUS_KEYS first."
        )

        @OptionGroup var options: ServerOptions

        func run() async throws {
            let (config, _) = try await options.load()
            print(try await TokenCommand.rotateKey(config: config), terminator: "")
        }
    }
}
