import YardCLI

await YardCommand.start()
