import ServiceLifecycle

/// The patient sync's draining task as a `Service`, like `WebhookProcessorService`: what is still pending
/// at shutdown waits for the next start.
struct PatientSyncService: Service {
    let sync: PatientSync

    func run() async {
        sync.start()
        try? await gracefulShutdown()
        await sync.stop()
    }
}
