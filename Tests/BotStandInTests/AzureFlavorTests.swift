import BotStandIn
import Testing
import StandInJSON

/// Azure OpenAI's dated API: deployment in the path, `api-version`, `api-key` (contract §1.10, §6).
@Suite struct AzureFlavorTests {
    let key = [("api-key", "azure-secret")]

    @Test func answersOnTheDeploymentRouteWithApiKey() async throws {
        try await withOpenAI(.init(apiKey: "azure-secret", flavor: .azure)) { llm async throws in
            #expect(llm.baseURL == llm.rootURL + "/openai")
            let url = llm.chatCompletionsURL(deployment: "support-gpt4o", apiVersion: "2024-10-21")
            #expect(url == llm.rootURL + "/openai/deployments/support-gpt4o/chat/completions?api-version=2024-10-21")
            let reply = try await HTTP.send(url, json: Chat.body(model: nil), headers: key)
            #expect(reply.status == 200)
            let json = try #require(reply.json)
            // The deployment stands for the model; Azure adds its filter verdicts.
            #expect(json["model"] == "support-gpt4o")
            #expect(json["prompt_filter_results"]?[0]?["prompt_index"] == 0)
            #expect(json["choices"]?[0]?["content_filter_results"]?["hate"]?["filtered"] == false)
            #expect(await llm.requests().first?.queryItem("api-version") == "2024-10-21")
        }
    }

    @Test func firstStreamChunkHasNoChoicesButPromptFilterResults() async throws {
        try await withOpenAI(.init(apiKey: "azure-secret", flavor: .azure)) { llm async throws in
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(stream: true), headers: key)
            let first = try #require(streamed.chunks.first)
            #expect(first["choices"] == [])
            #expect(first["id"] == "")
            #expect(first["created"] == 0)
            #expect(first["prompt_filter_results"] != nil)
            #expect(streamed.content == "You said: Hello there")
            #expect(streamed.sawDone)
        }
    }

    @Test func missingApiVersionIs404ResourceNotFound() async throws {
        try await withOpenAI(.init(apiKey: "azure-secret", flavor: .azure)) { llm async throws in
            let reply = try await HTTP.send(llm.baseURL + "/deployments/d1/chat/completions", json: Chat.body(), headers: key)
            #expect(reply.status == 404)
            #expect(reply.text == #"{"error":{"code":"404","message":"Resource not found"}}"#)
            #expect(try await HTTP.send(llm.rootURL + "/v1/chat/completions", json: Chat.body(), headers: key).status == 404)
        }
    }

    @Test func bearerOrAWrongKeyIs401() async throws {
        try await withOpenAI(.init(apiKey: "azure-secret", flavor: .azure)) { llm async throws in
            for headers in [Chat.bearer("azure-secret"), [("api-key", "nope")]] {
                let reply = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(), headers: headers)
                #expect(reply.status == 401)
                #expect(reply.json?["error"]?["code"] == "401")
                #expect(reply.json?["error"]?["message"]?.stringValue?.hasPrefix("Access denied due to invalid subscription key") == true)
            }
        }
    }
}
