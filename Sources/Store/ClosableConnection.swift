/// A connection a `ConnectionWorker` can own: it closes it when the pool closes.
/// `SendableMetatype`: the worker's queue refers to the connection's type from another thread.
package protocol ClosableConnection: AnyObject, SendableMetatype {
    func close()
}
