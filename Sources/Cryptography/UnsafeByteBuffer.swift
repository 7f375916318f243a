extension Collection<UInt8> {
    /// Hands `body` the bytes in place when they are already contiguous, copying
    /// only for collections such as lazy maps that have no contiguous storage.
    func withUnsafeByteBuffer<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = withContiguousStorageIfAvailable(body) {
            return result
        }
        return Array(self).withUnsafeBufferPointer(body)
    }
}
