import BatonCore
import Yams

/// Reads one node of a flow file.
struct NodeReader {
    let sink: DiagnosticSink

    static let kinds = ["say", "question", "if", "switch", "set", "goto", "handover", "bot", "end"]
    static let companions = ["if": ["then", "else"], "switch": ["cases", "default"], "say": ["to"]]

    func node(_ value: YAMLValue, position: Int) -> FlowNode? {
        guard let members = value.mapping(allowed: ["id"] + Self.kinds + ["then", "else", "cases", "default", "to"], sink) else { return nil }
        var id = "node-\(position)"
        if members.has("id"), let given = members["id"].string(sink) {
            if given.isEmpty { sink.error(members["id"], "a node id must not be empty") }
            id = given
        }
        // A node with errors still holds its id, so that jumps to it are not reported as unknown as well.
        // (It never runs: a flow with errors is not loaded.)
        let broken = FlowNode(id: id, kind: .end(EndNode()), location: value.location)
        let kinds = members.members.map(\.0).filter { Self.kinds.contains($0) }
        guard kinds.count == 1, let kind = kinds.first else {
            sink.error(value, kinds.isEmpty ? "a node needs one of: \(Self.kinds.joined(separator: ", "))" : "a node has exactly one kind, found \(kinds.joined(separator: " and "))")
            return broken
        }
        for (key, member) in members.members where ["then", "else", "cases", "default", "to"].contains(key) && !(Self.companions[kind] ?? []).contains(key) {
            let owner = key == "then" || key == "else" ? "an 'if'" : key == "to" ? "a 'say'" : "a 'switch'"
            sink.error(member, "'\(key)' belongs to \(owner) node, not a '\(kind)' node")
        }
        let body = members[kind]
        let parsed: FlowNode.Kind?
        switch kind {
        case "say": parsed = message(body).map { .say(SayNode(message: $0, to: audience(members))) }
        case "question": parsed = question(body).map { .question($0) }
        case "if": parsed = branch(body, members).map { .branch($0) }
        case "switch": parsed = switchNode(body, members).map { .switchOn($0) }
        case "set": parsed = set(body).map { .set($0) }
        case "goto": parsed = body.string(sink).map { .goto($0) }
        case "handover": parsed = handover(body).map { .handover($0) }
        case "bot": parsed = bot(body).map { .bot($0) }
        default: parsed = body.isNull ? .end(EndNode()) : message(body).map { .end(EndNode(message: $0)) }
        }
        guard let parsed else { return broken }
        return FlowNode(id: id, kind: parsed, location: value.location)
    }

    // MARK: Messages

    /// A message: a plain string, or a mapping with text, quickReplies, attachments and cards.
    func message(_ value: YAMLValue) -> MessageTemplate? {
        if let node = value.node, case .scalar = node {
            return template(value).map { MessageTemplate(text: $0) }
        }
        guard let members = value.mapping(allowed: ["text", "quickReplies", "attachments", "cards"], sink) else { return nil }
        var message = MessageTemplate()
        if members.has("text") { message.text = template(members["text"]) }
        if members.has("quickReplies"), let list = members["quickReplies"].sequence(sink) {
            message.quickReplies = list.compactMap(quickReply)
        }
        if members.has("attachments"), let list = members["attachments"].sequence(sink) {
            message.attachments = list.compactMap(attachment)
        }
        if members.has("cards"), let list = members["cards"].sequence(sink) {
            if list.count > Card.maxPerMessage { sink.error(members["cards"], "a message shows at most \(Card.maxPerMessage) cards") }
            message.cards = list.compactMap(card)
        }
        if message.isEmpty { sink.error(value, "a message needs text, quickReplies, attachments or cards") }
        return message
    }

    /// `{ title, subtitle, image, buttons: [{ title, url } | { title, payload }] }`: at least a title, an image or a button.
    func card(_ value: YAMLValue) -> CardTemplate? {
        guard let members = value.mapping(allowed: ["title", "subtitle", "image", "buttons"], sink) else { return nil }
        var card = CardTemplate()
        if members.has("title") { card.title = template(members["title"]) }
        if members.has("subtitle") { card.subtitle = template(members["subtitle"]) }
        if members.has("image"), let image = template(members["image"]) {
            if image.isLiteral, !Attachment.isWebURL(image.source) { sink.error(members["image"], "a card's image is an absolute http(s) URL, found '\(image.source)'") }
            card.image = image
        }
        if members.has("buttons"), let list = members["buttons"].sequence(sink) {
            if list.count > Card.maxButtons { sink.error(members["buttons"], "a card has at most \(Card.maxButtons) buttons") }
            card.buttons = list.compactMap(cardButton)
        }
        if card.title == nil, card.image == nil, card.buttons.isEmpty { sink.error(value, "a card needs a title, an image or buttons") }
        return card
    }

    func cardButton(_ value: YAMLValue) -> CardButtonTemplate? {
        guard let members = value.mapping(allowed: ["title", "url", "payload"], sink), let title = members.required("title", sink).flatMap(template) else {
            return nil
        }
        if members.has("url"), members.has("payload") { sink.error(members["payload"], "a button is a link (url) or a reply (payload), not both") }
        var button = CardButtonTemplate(title: title)
        if members.has("url"), let url = template(members["url"]) {
            if url.isLiteral, !Attachment.isWebURL(url.source) { sink.error(members["url"], "a button's url is an absolute http(s) URL, found '\(url.source)'") }
            button.url = url
        } else if members.has("payload") {
            button.payload = template(members["payload"])
        }
        return button
    }

    func quickReply(_ value: YAMLValue) -> QuickReplyTemplate? {
        if let node = value.node, case .scalar = node { return template(value).map { QuickReplyTemplate(title: $0) } }
        guard let members = value.mapping(allowed: ["title", "payload"], sink),
            let title = members.required("title", sink).flatMap(template)
        else { return nil }
        return QuickReplyTemplate(title: title, payload: members.has("payload") ? template(members["payload"]) : nil)
    }

    /// `{ image: https://… }` or `{ type: image, url: https://…, name: cat.png }`.
    func attachment(_ value: YAMLValue) -> AttachmentTemplate? {
        let kindNames = AttachmentKind.allCases.map(\.rawValue)
        guard let members = value.mapping(allowed: ["type", "url", "name"] + kindNames, sink) else { return nil }
        let shorthand = members.members.filter { kindNames.contains($0.0) }
        let kind: AttachmentKind?
        let urlValue: YAMLValue?
        if let (name, member) = shorthand.first, shorthand.count == 1, !members.has("type") {
            kind = AttachmentKind(rawValue: name)
            urlValue = member
        } else {
            let typeName = members.required("type", sink)?.string(sink)
            kind = typeName.flatMap(AttachmentKind.init(rawValue:))
            if let typeName, kind == nil { sink.error(members["type"], "unknown attachment type '\(typeName)'; use one of \(kindNames.joined(separator: ", "))") }
            urlValue = members.required("url", sink)
        }
        guard let kind, let urlValue, let url = template(urlValue) else { return nil }
        if url.isLiteral, !Attachment.isWebURL(url.source) {
            sink.error(urlValue, "attachment URLs must be absolute http(s) URLs, found '\(url.source)'")
        }
        return AttachmentTemplate(kind: kind, url: url, name: members.has("name") ? template(members["name"]) : nil)
    }

    // MARK: Node kinds

    /// A `say`'s `to:` (user, agent or both); the user when absent.
    func audience(_ members: YAMLMapping) -> SayNode.Audience {
        guard members.has("to"), let name = members["to"].string(sink) else { return .user }
        guard let audience = SayNode.Audience(rawValue: name) else {
            sink.error(members["to"], "'to' is one of \(SayNode.Audience.allCases.map(\.rawValue).joined(separator: ", ")), found '\(name)'")
            return .user
        }
        return audience
    }

    func question(_ value: YAMLValue) -> QuestionNode? {
        guard let members = value.mapping(allowed: ["text", "quickReplies", "attachments", "type", "pattern", "store", "reprompt", "maxAttempts", "onFailure"], sink)
        else { return nil }
        var prompt = MessageTemplate()
        if members.has("text") { prompt.text = template(members["text"]) }
        if members.has("quickReplies") { prompt.quickReplies = members["quickReplies"].sequence(sink)?.compactMap(quickReply) ?? [] }
        if members.has("attachments") { prompt.attachments = members["attachments"].sequence(sink)?.compactMap(attachment) ?? [] }
        if prompt.isEmpty { sink.error(value, "a question needs text to ask") }
        var answerType = AnswerType.text
        if members.has("type"), let name = members["type"].string(sink) {
            switch name {
            case "text": answerType = .text
            case "number": answerType = .number
            case "email": answerType = .email
            case "yesno": answerType = .yesNo
            case "pattern":
                if let pattern = members.required("pattern", sink)?.string(sink) {
                    do { _ = try Regex(pattern) } catch { sink.error(members["pattern"], "invalid regular expression: \(error)") }
                    answerType = .pattern(pattern)
                }
            default: sink.error(members["type"], "unknown answer type '\(name)'; use text, number, email, yesno or pattern")
            }
        }
        if members.has("pattern"), case .pattern = answerType {} else if members.has("pattern") {
            sink.error(members["pattern"], "'pattern' needs 'type: pattern'")
        }
        guard let storeValue = members.required("store", sink), let store = storeValue.string(sink) else { return nil }
        if store.hasPrefix("profile.") {
            sink.error(storeValue, "answers are stored in the context; copy them to the profile with a 'set' node (profile.x: \"{{ context.x }}\")")
        }
        let path = contextPath(store, value: storeValue, roots: ["context"])?.path ?? []
        let reprompt = members.has("reprompt") ? message(members["reprompt"]) : nil
        let maxAttempts = members.has("maxAttempts") ? members["maxAttempts"].int(sink, range: 1...100) ?? 3 : 3
        let onFailure = members.has("onFailure") ? members["onFailure"].string(sink) : nil
        return QuestionNode(prompt: prompt, answerType: answerType, storePath: path, reprompt: reprompt, maxAttempts: maxAttempts, onFailure: onFailure)
    }

    func branch(_ value: YAMLValue, _ members: YAMLMapping) -> BranchNode? {
        guard let condition = expression(value) else { return nil }
        let then = members.has("then") ? members["then"].string(sink) : nil
        let otherwise = members.has("else") ? members["else"].string(sink) : nil
        if then == nil, otherwise == nil { sink.error(value, "an 'if' node needs 'then' or 'else'") }
        return BranchNode(condition: condition, then: then, otherwise: otherwise)
    }

    func switchNode(_ value: YAMLValue, _ members: YAMLMapping) -> SwitchNode? {
        let subject = value.isNull ? nil : expression(value)
        var cases: [SwitchNode.Case] = []
        if let list = members.required("cases", sink)?.sequence(sink) {
            for item in list {
                guard let entry = item.mapping(allowed: ["equals", "when", "goto"], sink) else { continue }
                guard let target = entry.required("goto", sink)?.string(sink) else { continue }
                if entry.has("equals"), !entry.has("when") {
                    if subject == nil { sink.error(entry["equals"], "'equals' needs a value to compare: write it after 'switch:'") }
                    cases.append(SwitchNode.Case(match: .equals(jsonValue(entry["equals"])), target: target))
                } else if entry.has("when"), !entry.has("equals") {
                    if let condition = expression(entry["when"]) { cases.append(SwitchNode.Case(match: .when(condition), target: target)) }
                } else {
                    sink.error(item, "a case has either 'equals' or 'when'")
                }
            }
        }
        let defaultTarget = members.has("default") ? members["default"].string(sink) : nil
        return SwitchNode(value: subject, cases: cases, defaultTarget: defaultTarget)
    }

    func set(_ value: YAMLValue) -> SetNode? {
        guard let members = value.mapping(allowed: nil, sink) else { return nil }
        var assignments: [SetNode.Assignment] = []
        for (key, member) in members.members {
            guard let (root, path) = contextPath(key, value: member, roots: ["context", "profile"]), let template = typedTemplate(member) else { continue }
            assignments.append(SetNode.Assignment(root: root == "profile" ? .profile : .context, path: path, value: template))
        }
        if members.members.isEmpty { sink.error(value, "'set' needs at least one 'context.name: value'") }
        return SetNode(assignments: assignments)
    }

    /// Chatwoot's conversation priorities.
    static let priorities = ["low", "medium", "high", "urgent"]

    /// `bot: assistant`, or `bot: { use: assistant, prompt, speaksFirst, silenceIsFine, exits: { handover: node } }`.
    func bot(_ value: YAMLValue) -> BotNode? {
        if let node = value.node, case .scalar = node {
            return value.string(sink).map { BotNode(bot: $0) }
        }
        guard let members = value.mapping(allowed: ["use", "prompt", "speaksFirst", "silenceIsFine", "exits"], sink) else { return nil }
        guard let name = members.required("use", sink)?.string(sink) else { return nil }
        var node = BotNode(bot: name)
        if members.has("prompt") { node.prompt = template(members["prompt"]) }
        if members.has("speaksFirst") { node.speaksFirst = members["speaksFirst"].bool(sink) ?? false }
        if members.has("silenceIsFine") { node.silenceIsFine = members["silenceIsFine"].bool(sink) ?? false }
        if members.has("exits"), let exits = members["exits"].mapping(allowed: nil, sink) {
            for (outcome, target) in exits.members {
                if let target = target.string(sink) { node.exits[outcome] = target }
            }
        }
        return node
    }

    func handover(_ value: YAMLValue) -> HandoverNode? {
        let allowed = [
            "provider", "inboxId", "acceptedMessage", "cancelKeywords", "cancelButton", "onResolve", "team", "assignee", "priority", "labels", "attributes",
            "note", "whenUnavailable", "announcePosition",
        ] + HandoverPolicyReader.timerKeys
        // A bare `handover:` takes every default.
        guard let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: allowed, sink) else { return nil }
        let provider = members.has("provider") ? members["provider"].string(sink) ?? "chatwoot" : "chatwoot"
        if provider != "chatwoot" { sink.error(members["provider"], "unknown handover provider '\(provider)'; supported: chatwoot") }
        var node = HandoverNode(provider: provider)
        if members.has("inboxId"), let inbox = template(members["inboxId"]) {
            if inbox.isLiteral, Int(inbox.source) == nil { sink.error(members["inboxId"], "inboxId must be a number or an expression in {{ }}, found '\(inbox.source)'") }
            node.inbox = inbox
        }
        if members.has("acceptedMessage") { node.acceptedMessage = message(members["acceptedMessage"]) }
        if members.has("cancelKeywords") { node.cancelKeywords = members["cancelKeywords"].strings(sink) ?? [] }
        if members.has("cancelButton") { node.cancelButton = members["cancelButton"].string(sink) }
        if members.has("onResolve") { node.onResolve = members["onResolve"].string(sink) }
        if members.has("team") { node.team = typedTemplate(members["team"]) }
        if members.has("assignee") { node.assignee = typedTemplate(members["assignee"]) }
        if members.has("priority"), let priority = template(members["priority"]) {
            if priority.isLiteral, !Self.priorities.contains(priority.source) {
                sink.error(members["priority"], "priority must be one of \(Self.priorities.joined(separator: ", ")) or an expression, found '\(priority.source)'")
            }
            node.priority = priority
        }
        if members.has("labels") {
            let items: [YAMLValue] = if let node = members["labels"].node, case .scalar = node { [members["labels"]] } else { members["labels"].sequence(sink) ?? [] }
            node.labels = items.compactMap(template)
        }
        if members.has("attributes"), let attributes = members["attributes"].mapping(allowed: nil, sink) {
            for (name, value) in attributes.members { if let template = typedTemplate(value) { node.attributes[name] = template } }
        }
        if members.has("note") { node.note = template(members["note"]) }
        if members.has("announcePosition") { node.announcePosition = members["announcePosition"].bool(sink) ?? false }
        if members.has("whenUnavailable"), let name = members["whenUnavailable"].string(sink) {
            if let choice = WhenUnavailable(rawValue: name) {
                node.whenUnavailable = choice
            } else {
                sink.error(members["whenUnavailable"], "whenUnavailable is one of handover, skip, found '\(name)'")
            }
        }
        node.timers = HandoverPolicyReader.timers(members, sink)
        return node
    }

    // MARK: Values

    func template(_ value: YAMLValue) -> Template? {
        guard let text = value.string(sink) else { return nil }
        do {
            return try Template(parsing: text)
        } catch {
            sink.error(value, "in '\(text)': \(error)")
            return nil
        }
    }

    /// A `set` value: a plain YAML number, boolean or null keeps its type (`count: 3` stores the number 3, as
    /// `"{{ 3 }}"` would); anything else is a template.
    func typedTemplate(_ value: YAMLValue) -> Template? {
        if case .scalar(let scalar)? = value.node, scalar.style == .plain, !value.hasOverride {
            switch jsonValue(value) {
            case .number, .bool, .null:
                // The literal is re-read as an expression, which gives exactly the YAML value's type.
                let literal = jsonValue(value) == .null ? "null" : scalar.string
                if let typed = try? Template(parsing: "{{ \(literal) }}") { return typed }
            default:
                break
            }
        }
        return template(value)
    }

    /// An expression written bare (`context.age > 18`) or in a single hole (`{{ context.age > 18 }}`).
    func expression(_ value: YAMLValue) -> BatonCore.Expression? {
        guard let text = value.string(sink) else { return nil }
        var source = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.count >= 4,
            let open = text.range(of: "{{"), let close = text.range(of: "}}", options: .backwards)
        {
            // The braces are blanked rather than dropped, so error columns count in the text as written.
            let blanks = String(repeating: " ", count: text.distance(from: text.startIndex, to: open.upperBound))
            source = blanks + text[open.upperBound..<close.lowerBound]
        }
        do {
            return try BatonCore.Expression(parsing: source)
        } catch {
            sink.error(value, "in '\(text)': \(error)")
            return nil
        }
    }

    /// `context.user.name` → ("context", ["user", "name"]); a bare `name` means `context.name`.
    func contextPath(_ text: String, value: YAMLValue, roots: [String]) -> (root: String, path: [String])? {
        var parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, let first = parts.first, roots.contains(first) {
            parts.removeFirst()
        } else if roots.count > 1 {
            // Where both roots are possible the author must say which one is meant.
            sink.error(value, "'\(text)' must start with \(roots.map { $0 + "." }.joined(separator: " or "))")
            return nil
        }
        let root = text.hasPrefix("profile.") ? "profile" : "context"
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }) else {
            sink.error(value, "'\(text)' is not a valid path (use names separated by dots)")
            return nil
        }
        return (root, parts)
    }

    /// A YAML scalar as a JSON value: numbers, booleans and null keep their type.
    func jsonValue(_ value: YAMLValue) -> JSONValue {
        guard let text = value.string(sink) else { return .null }
        if case .scalar(let scalar)? = value.node, scalar.style == .plain {
            if let number = Double(text) { return .number(number) }
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            if text == "null" || text == "~" { return .null }
        }
        return .string(text)
    }
}

import Foundation
