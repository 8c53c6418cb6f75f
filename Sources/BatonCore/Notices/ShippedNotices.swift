/// The notices Baton ships, by language. Endpoints replace any of them in their config (`notices:`); a language
/// or key missing here falls back to English (see `Notices`).
enum ShippedNotices {
    static let texts: [String: [NoticeKey: String]] = ["en": english, "de": german, "es": spanish, "fr": french, "pt": portuguese]

    static let english: [NoticeKey: String] = [
        .agentJoined: "An agent has joined the conversation.",
        .agentJoinedNamed: "{name} has joined the conversation.",
        .reminder: "Thanks for waiting. An agent will be with you as soon as possible.",
        .resolved: "The agent has ended the conversation. You're back with the bot.",
        .reopened: "An agent has reopened the conversation.",
        .handedBack: "An agent has handed you back to the bot.",
        .cancelled: "You have left the queue.",
        .failed: "Sorry, no agent could be reached right now.",
        .inactiveUser: "The conversation with our team was closed because it was quiet for a while. You're back with the bot.",
        .inactiveAgent: "Sorry, no agent could answer in time. You're back with the bot.",
        .noAgentOnline: "No agent is online right now, so it may take a while until someone answers.",
        .outsideBusinessHours: "We're outside our working hours right now. An agent will answer as soon as we're back.",
        .undelivered: "Your last message could not be delivered to the agent. Please send it again.",
        .undeliveredExcerpt: "Your message “{excerpt}” could not be delivered to the agent. Please send it again.",
        .apology: "Sorry, something went wrong on our side. Please try again later.",
    ]

    static let german: [NoticeKey: String] = [
        .agentJoined: "Jemand aus unserem Team ist jetzt für Sie da.",
        .agentJoinedNamed: "{name} ist dem Gespräch beigetreten.",
        .reminder: "Danke für Ihre Geduld. Gleich ist jemand aus unserem Team für Sie da.",
        .resolved: "Das Gespräch mit unserem Team wurde beendet. Sie sind wieder beim Bot.",
        .reopened: "Unser Team hat das Gespräch wieder aufgenommen.",
        .handedBack: "Unser Team hat Sie wieder an den Bot übergeben.",
        .cancelled: "Sie haben die Warteschlange verlassen.",
        .failed: "Leider ist gerade niemand aus unserem Team erreichbar.",
        .inactiveUser: "Das Gespräch mit unserem Team wurde beendet, weil eine Weile nichts geschrieben wurde. Sie sind wieder beim Bot.",
        .inactiveAgent: "Leider konnte Ihnen niemand aus unserem Team rechtzeitig antworten. Sie sind wieder beim Bot.",
        .noAgentOnline: "Gerade ist niemand aus unserem Team online. Es kann etwas dauern, bis jemand antwortet.",
        .outsideBusinessHours: "Wir sind gerade außerhalb unserer Geschäftszeiten. Sobald wir zurück sind, antwortet Ihnen jemand aus unserem Team.",
        .undelivered: "Ihre letzte Nachricht konnte nicht zugestellt werden. Bitte senden Sie sie noch einmal.",
        .undeliveredExcerpt: "Ihre Nachricht „{excerpt}“ konnte nicht zugestellt werden. Bitte senden Sie sie noch einmal.",
        .apology: "Entschuldigung, bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.",
    ]

    static let spanish: [NoticeKey: String] = [
        .agentJoined: "Un agente se ha unido a la conversación.",
        .agentJoinedNamed: "{name} se ha unido a la conversación.",
        .reminder: "Gracias por esperar. Un agente te atenderá lo antes posible.",
        .resolved: "El agente ha terminado la conversación. Vuelves a hablar con el bot.",
        .reopened: "Un agente ha reabierto la conversación.",
        .handedBack: "Un agente te ha devuelto al bot.",
        .cancelled: "Has salido de la cola.",
        .failed: "Lo sentimos, ahora mismo no hay ningún agente disponible.",
        .inactiveUser: "La conversación con nuestro equipo se ha cerrado por inactividad. Vuelves a hablar con el bot.",
        .inactiveAgent: "Lo sentimos, ningún agente pudo responder a tiempo. Vuelves a hablar con el bot.",
        .noAgentOnline: "Ahora mismo no hay ningún agente conectado, así que la respuesta puede tardar un poco.",
        .outsideBusinessHours: "Ahora mismo estamos fuera de nuestro horario de atención. Un agente te responderá en cuanto volvamos.",
        .undelivered: "Tu último mensaje no se pudo entregar al agente. Por favor, envíalo de nuevo.",
        .undeliveredExcerpt: "Tu mensaje «{excerpt}» no se pudo entregar al agente. Por favor, envíalo de nuevo.",
        .apology: "Lo sentimos, algo ha fallado por nuestra parte. Inténtalo de nuevo más tarde.",
    ]

    static let french: [NoticeKey: String] = [
        .agentJoined: "Un agent a rejoint la conversation.",
        .agentJoinedNamed: "{name} a rejoint la conversation.",
        .reminder: "Merci de votre patience. Un agent va vous répondre dès que possible.",
        .resolved: "L’agent a terminé la conversation. Vous êtes de retour avec le bot.",
        .reopened: "Un agent a rouvert la conversation.",
        .handedBack: "Un agent vous a redirigé vers le bot.",
        .cancelled: "Vous avez quitté la file d’attente.",
        .failed: "Désolé, aucun agent n’est joignable pour le moment.",
        .inactiveUser: "La conversation avec notre équipe a été fermée pour inactivité. Vous êtes de retour avec le bot.",
        .inactiveAgent: "Désolé, aucun agent n’a pu vous répondre à temps. Vous êtes de retour avec le bot.",
        .noAgentOnline: "Aucun agent n’est en ligne pour le moment : la réponse peut prendre un peu de temps.",
        .outsideBusinessHours: "Nous sommes actuellement en dehors de nos heures d’ouverture. Un agent vous répondra dès notre retour.",
        .undelivered: "Votre dernier message n’a pas pu être transmis à l’agent. Veuillez le renvoyer.",
        .undeliveredExcerpt: "Votre message « {excerpt} » n’a pas pu être transmis à l’agent. Veuillez le renvoyer.",
        .apology: "Désolé, un problème est survenu de notre côté. Veuillez réessayer plus tard.",
    ]

    static let portuguese: [NoticeKey: String] = [
        .agentJoined: "Um atendente entrou na conversa.",
        .agentJoinedNamed: "{name} entrou na conversa.",
        .reminder: "Obrigado por aguardar. Um atendente falará com você assim que possível.",
        .resolved: "O atendente encerrou a conversa. Você está de volta com o bot.",
        .reopened: "Um atendente reabriu a conversa.",
        .handedBack: "Um atendente devolveu você ao bot.",
        .cancelled: "Você saiu da fila.",
        .failed: "Desculpe, nenhum atendente está disponível no momento.",
        .inactiveUser: "A conversa com a nossa equipe foi encerrada por inatividade. Você está de volta com o bot.",
        .inactiveAgent: "Desculpe, nenhum atendente conseguiu responder a tempo. Você está de volta com o bot.",
        .noAgentOnline: "Nenhum atendente está online agora, então pode demorar um pouco até alguém responder.",
        .outsideBusinessHours: "Estamos fora do nosso horário de atendimento agora. Um atendente responderá assim que voltarmos.",
        .undelivered: "Sua última mensagem não pôde ser entregue ao atendente. Por favor, envie-a novamente.",
        .undeliveredExcerpt: "Sua mensagem “{excerpt}” não pôde ser entregue ao atendente. Por favor, envie-a novamente.",
        .apology: "Desculpe, algo deu errado do nosso lado. Tente novamente mais tarde.",
    ]
}
