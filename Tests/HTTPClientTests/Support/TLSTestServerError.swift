
enum TLSTestServerError: Error {
    case setup(String)
}
