import BatonCore

/// The outbox's one performer: a bot node's turns go to the bots, everything else to the desks and the channels
/// Baton posts to.
struct OutboxRouter: OutboxPerformer {
    let desks: DeskDispatcher
    let bots: BotTurns

    func perform(_ item: OutboxItem) async -> JobOutcome {
        if case .botTurn(let request, let through) = item.job { return await bots.perform(item, request: request, through: through) }
        return await desks.perform(item)
    }

    func deadLettered(_ item: OutboxItem, reason: String) async {
        if case .botTurn(let request, _) = item.job {
            await bots.deadLettered(item, request: request, reason: reason)
        } else {
            await desks.deadLettered(item, reason: reason)
        }
    }
}
