/// The CSAT survey page's API, `Public::Api::V1::CsatSurveyController` (`config/routes.rb`: `resources :csat_survey,
/// only: [:show, :update]` under `public/api/v1`): no token, the conversation's uuid in the path.
enum CsatSurveyAPI {
    static let controller = "public/api/v1/csat_survey"
    static let path = "/public/api/v1/csat_survey/:id"

    static let routes: [Route] = [
        Route("GET", path, controller, "show", isPublic: true, show),
        Route("PUT", path, controller, "update", isPublic: true, update),
        Route("PATCH", path, controller, "update", isPublic: true, update),
    ]

    static func show(_ ctx: HandlerContext) async throws -> APIResponse {
        let message = try await ctx.state.csatSurveyMessage(uuid: ctx.pathParams["id"] ?? "")
        return .json(await ctx.presenter().csatSurvey(message))
    }

    static func update(_ ctx: HandlerContext) async throws -> APIResponse {
        let body = try await ctx.state.answerCsatSurvey(uuid: ctx.pathParams["id"] ?? "", message: ctx.params["message"]) { presenter, message in
            presenter.csatSurvey(message)
        }
        return .json(body)
    }
}
