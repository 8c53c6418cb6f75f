import BatonCore
import PostgresNIO

/// `baton_save_sessions`' arguments (migration 9), as columns of arrays (see ``PendingSave/query(_:notifying:)``).
extension PendingSave {
    /// The saves' session rows, a column each, in `baton_save_sessions`' order.
    struct SessionColumns {
        var position: [Int64] = [], id: [String] = [], unlessLaterThan: [Int64?] = [], state: [String] = []
        var handoverPhase: [String?] = [], lastMessageID: [Int64] = [], updatedAt: [Int64] = [], wakeAt: [Int64?] = []
        var rateTokens: [Double?] = [], rateAt: [Int64?] = []

        var columns: [any PostgresDynamicTypeEncodable] {
            [position, id, NullableArray(unlessLaterThan), state, NullableArray(handoverPhase), lastMessageID, updatedAt, NullableArray(wakeAt),
             NullableArray(rateTokens), NullableArray(rateAt)]
        }

        mutating func append(_ save: PendingSave, position: Int64) {
            let step = save.step
            self.position.append(position)
            id.append(step.sessionID.rawValue)
            unlessLaterThan.append(save.unlessLaterThan)
            state.append(step.stateText)
            handoverPhase.append(step.update.state.handover?.phase.rawValue)
            lastMessageID.append(step.lastMessageID)
            updatedAt.append(step.now.millis)
            wakeAt.append(step.update.state.wakeAt?.millis)
            rateTokens.append(step.update.rateBucket?.tokens)
            rateAt.append(step.update.rateBucket?.at.millis)
        }
    }

    /// The saves' new messages, a column each, in `baton_save_sessions`' order.
    struct MessageColumns {
        var sessionID: [String] = [], id: [Int64] = [], sender: [String] = [], content: [String] = [], createdAt: [Int64] = []
        var clientMessageID: [String?] = [], agentName: [String?] = [], externalID: [String?] = [], externalOrder: [Int64?] = []
        var movedFrom: [Int64?] = []

        var columns: [any PostgresDynamicTypeEncodable] {
            [sessionID, id, sender, content, createdAt, NullableArray(clientMessageID), NullableArray(agentName), NullableArray(externalID),
             NullableArray(externalOrder), NullableArray(movedFrom)]
        }

        mutating func append(_ message: Message) {
            sessionID.append(message.sessionID.rawValue)
            id.append(message.id)
            sender.append(message.sender.rawValue)
            content.append(message.content.storageText)
            createdAt.append(message.createdAt.millis)
            clientMessageID.append(message.clientMessageID)
            agentName.append(message.agentName)
            externalID.append(message.externalID)
            externalOrder.append(message.externalOrder)
            movedFrom.append(message.movedFrom)
        }
    }

    /// The saves' outbox jobs, a column each, in `baton_save_sessions`' order; the jobs in the order they are to run.
    struct JobColumns {
        var sessionID: [String] = [], job: [String] = [], kind: [String] = [], at: [Int64] = [], trace: [String?] = []

        var columns: [any PostgresDynamicTypeEncodable] { [sessionID, job, kind, at, NullableArray(trace)] }

        mutating func append(_ job: OutboxJob, of step: PostgresSessionStore.StepWrite) throws {
            sessionID.append(step.sessionID.rawValue)
            self.job.append(try Rows.encode(job))
            kind.append(job.kind)
            at.append(step.now.millis)
            trace.append(step.update.trace)
        }
    }
}

extension PostgresQuery.StringInterpolation {
    /// `values` as bind parameters, separated by commas.
    mutating func appendList(_ values: [any PostgresDynamicTypeEncodable]) {
        for (index, value) in values.enumerated() {
            if index > 0 { appendLiteral(", ") }
            appendInterpolation(value)
        }
    }
}
