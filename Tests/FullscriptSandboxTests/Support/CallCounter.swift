
actor CallCounter {
    private(set) var count = 0

    func increment() {
        count += 1
    }
}
