console.log('hops: CLI coming next')
