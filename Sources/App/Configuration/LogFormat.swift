import Configuration
import Foundation
import HTTP1
import Logging
import Server
import SystemPackage

public enum LogFormat: String, Sendable {
    case text, json
}
