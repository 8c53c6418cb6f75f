print("chatwoot-standin")
