/// Sends an event the sandbox's pages caused, when Fullscript would: a webhook URL is set and a user
/// of the event's clinic holds an unrevoked token (fullscript-api.md §7.5).
struct WebhookDispatch: Sendable {
    let state: SandboxState
    let webhook: WebhookDelivery?

    /// Delivered before the page answers, unlike Fullscript, so a test that submitted the page can
    /// assert on the delivery as soon as it returns.
    func send(_ event: ClinicEvent) async {
        guard let webhook, await state.hasUnrevokedToken(inClinic: event.clinicID) else { return }
        _ = await webhook.deliver(event, at: await state.now)
    }
}
