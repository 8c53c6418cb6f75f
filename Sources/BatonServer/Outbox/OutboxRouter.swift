import BatonCore

/// The outbox's one performer: a bot node's turns go to the bots, handover notifications to the outside bots'
/// callback URLs, everything else to the desks and the channels Baton posts to.
struct OutboxRouter: OutboxPerformer {
    let desks: DeskDispatcher
    let bots: BotTurns
    let callbacks: HandoverCallbacks

    func perform(_ item: OutboxItem) async -> JobOutcome {
        switch item.job {
        case .botTurn(let request, let through): await bots.perform(item, request: request, through: through)
        case .event(let notification): await callbacks.perform(item, notification: notification)
        default: await desks.perform(item)
        }
    }

    func deadLettered(_ item: OutboxItem, reason: String) async {
        switch item.job {
        case .botTurn(let request, _): await bots.deadLettered(item, request: request, reason: reason)
        case .event(let notification): callbacks.deadLettered(item, notification: notification, reason: reason)
        default: await desks.deadLettered(item, reason: reason)
        }
    }
}
