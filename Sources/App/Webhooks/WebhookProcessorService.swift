import ServiceLifecycle

/// The webhook processor's draining task as a `Service`: started with the group, stopped on its graceful
/// shutdown after the event in hand (what is still pending waits for the next start, where the first
/// pass takes it).
struct WebhookProcessorService: Service {
    let processor: WebhookProcessor

    func run() async {
        processor.start()
        // Returns on graceful shutdown, throws if the group is cancelled instead: either way, stop.
        try? await gracefulShutdown()
        await processor.stop()
    }
}
