import RhizomeCLI

@main
enum Entrypoint {
    static func main() async {
        await RhizomeCommand.main()
    }
}
