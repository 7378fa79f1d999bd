import RhizomeMesh
import RhizomeModules
import RhizomeStore

/// Lets modules fetch payloads from the agent's payload service.
final class PayloadFetchAdapter: PayloadFetcher {
    private unowned let runtime: AgentRuntime

    init(runtime: AgentRuntime) {
        self.runtime = runtime
    }

    func fetchPayload(_ digest: [UInt8], receive: @escaping ([UInt8]) -> Void, finished: @escaping (String?) -> Void) {
        guard let name = Digest(bytes: digest) else { return finished("bad digest") }
        guard let service = runtime.payloads else { return finished("the agent is not set up yet") }
        service.fetch(name, consumer: Consumer(receive: receive, finished: finished))
    }

    private final class Consumer: PayloadConsumer {
        let receive: ([UInt8]) -> Void
        let finished: (String?) -> Void

        init(receive: @escaping ([UInt8]) -> Void, finished: @escaping (String?) -> Void) {
            self.receive = receive
            self.finished = finished
        }

        func payload(_ digest: Digest, bytes: [UInt8], offset: UInt64, total: UInt64) {
            receive(bytes)
        }

        func payloadFinished(_ digest: Digest, error: String?) {
            finished(error)
        }
    }
}
