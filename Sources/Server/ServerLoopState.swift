/// What the connections of one event loop share and only that loop touches.
final class ServerLoopState {
    var dateHeader = DateHeaderCache()
    var requestIDs = RequestIDGenerator()
}
